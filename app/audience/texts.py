"""Open text answers: each device writes a few lines, shown only once the presenter approves.

Like questions (questions.py), what the audience writes is moderated before it reaches the
projector: a new answer waits, the presenter shows or rejects it, and the audience sees only the
shown ones. Answers are numbered per poll with ``hincr``, so every process numbers them apart,
and each device's count is an ``hincr`` too, so the per-device limit holds across processes.
Text is plain text: pages show it with ``textContent``. Listed swear words are masked as an
answer arrives (wordfilter.py), and words the presenter removed (``removed:R:P``, kept by
polls.py) are masked in every view.
"""

from __future__ import annotations

import json
import time
from typing import Any

from app.audience.wordfilter import WordFilter, mask_words
from app.state.errors import bad_request, too_large
from app.state.hashes import Hashes

MAX_ANSWER = 200  # characters
PER_DEVICE = 3  # answers per poll
MAX_ANSWERS = 500  # per poll
SHOWN_TOP = 100  # the newest shown answers a view carries


class Texts:
    """Write, moderate and list a text poll's answers."""

    def __init__(self, hashes: Hashes, words: WordFilter | None = None) -> None:
        self._hashes = hashes
        self.words = words or WordFilter()

    def write(self, room: str, device: str, poll: dict, text: Any) -> dict:
        """Add a device's answer, waiting for moderation; returns it."""
        if not isinstance(text, str) or not text.strip():
            raise bad_request("answer must be non-empty text")
        if len(text) > MAX_ANSWER:
            raise too_large(f"an answer is at most {MAX_ANSWER} characters")
        key = f"{room}:{poll['id']}"
        if self._hashes.hincr(f"text_writers:{key}", device) > PER_DEVICE:
            raise too_large(f"at most {PER_DEVICE} answers per device to one question")
        number = self._hashes.hincr("ids", f"text:{key}")
        if number > MAX_ANSWERS:
            raise too_large(f"a question takes at most {MAX_ANSWERS} answers")
        clean, filtered = self.words.masked(text.strip())
        entry = {"id": number, "text": clean, "at": time.time(), "shown": None}
        if filtered:
            entry["filtered"] = True
        self._hashes.hset(f"texts:{key}", str(number), json.dumps(entry))
        return entry

    def moderate(self, room: str, poll: dict, entry_id: Any, shown: Any) -> dict:
        """Presenter: show (``shown: true``) or reject an answer; returns it."""
        if isinstance(entry_id, bool) or not isinstance(entry_id, int):
            raise bad_request("id must be an answer number")
        if not isinstance(shown, bool):
            raise bad_request("shown must be true or false")
        key = f"texts:{room}:{poll['id']}"
        found = self._hashes.hget(key, str(entry_id))
        if found is None:
            raise bad_request(f"no answer {entry_id} to this question")
        entry = {**json.loads(found), "shown": shown}
        self._hashes.hset(key, str(entry_id), json.dumps(entry))
        return entry

    def every(self, room: str, poll: dict) -> list[dict]:
        """Every answer, oldest first."""
        entries = self._hashes.hgetall(f"texts:{room}:{poll['id']}").values()
        return sorted((json.loads(e) for e in entries), key=lambda e: e["id"])

    def results(self, room: str, poll: dict, presenter: bool) -> dict:
        """The shown answers (newest first); presenters also get those waiting."""
        every = self.every(room, poll)
        removed = list(self._hashes.hgetall(f"removed:{room}:{poll['id']}"))
        shown = [e for e in every if e["shown"]]
        body: dict[str, Any] = {"total": len(every), "shown": len(shown),
                                "answers": [{"id": e["id"], "text": mask_words(e["text"], removed)}
                                            for e in reversed(shown)][:SHOWN_TOP]}
        if presenter:
            body["waiting"] = [{"id": e["id"], "text": mask_words(e["text"], removed)}
                               for e in every if e["shown"] is None]
            body["removed"] = sorted(removed)
        return body
