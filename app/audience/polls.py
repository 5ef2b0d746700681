"""Live polls: multiple choice, word cloud, or a 1-5 scale; one answer per device, changeable.

Answers and tallies live in the shared hashes, moved together by ``Hashes.vote``: a device that
changes its answer takes one from the old choice and gives one to the new, atomically, so the
tally is exact under any load and across processes. Results stay hidden from the audience until
the presenter reveals them; the presenter always sees them.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from app.audience.spreadsheet import csv_text
from app.state.errors import ChorusError, bad_request
from app.state.hashes import Hashes

KINDS = ("choice", "cloud", "scale")
MAX_QUESTION = 200
MAX_OPTION = 80
MAX_WORD = 40
MAX_OPTIONS = 8
MAX_POLLS = 100  # per room
CLOUD_TOP = 60  # words shown


def normalized_word(text: str) -> str:
    """Equal answers count together: case, surrounding punctuation and spacing do not matter."""
    text = re.sub(r"\s+", " ", text.strip().lower())
    return text.strip(".,;:!?\"'()[]{}")


class Polls:
    """Open, answer, close and reveal polls of a room; build their views and exports."""

    def __init__(self, hashes: Hashes) -> None:
        self._hashes = hashes

    def open(self, room: str, kind: Any, question: Any, options: Any = None,
             hidden: Any = False) -> dict:
        """Open a new poll (closing the current one); returns it."""
        if kind not in KINDS:
            raise bad_request(f"kind must be one of {', '.join(KINDS)}")
        question = _text(question, "question", MAX_QUESTION)
        if kind == "choice":
            if not isinstance(options, list) or not 2 <= len(options) <= MAX_OPTIONS:
                raise bad_request(f"a choice poll needs 2-{MAX_OPTIONS} options")
            options = [_text(o, "each option", MAX_OPTION) for o in options]
        else:
            options = [str(n) for n in range(1, 6)] if kind == "scale" else []
        if not isinstance(hidden, bool):
            raise bad_request("hidden must be true or false")
        number = self._hashes.hincr("ids", f"poll:{room}")
        if number > MAX_POLLS:
            raise ChorusError("too_large", f"a room holds at most {MAX_POLLS} polls")
        current = self.current(room)
        if current is not None and current["open"]:
            self._update(room, current, open=False)
        poll = {"id": number, "kind": kind, "question": question, "options": options,
                "open": True, "revealed": not hidden, "opened_at": time.time()}
        self._hashes.hset(f"polls:{room}", str(number), json.dumps(poll))
        self._hashes.hset(f"polls:{room}", "current", str(number))
        return poll

    def answer(self, room: str, device: str, poll_id: Any, answer: Any) -> str:
        """Record a device's answer to the open poll (replacing its earlier one)."""
        poll = self._get(room, poll_id)
        if not poll["open"]:
            raise bad_request("this poll is closed")
        choice = self._choice(poll, answer)
        self._hashes.vote(f"answers:{room}:{poll['id']}", f"tally:{room}:{poll['id']}",
                          device, choice)
        return choice

    def close(self, room: str, poll_id: Any) -> dict:
        return self._update(room, self._get(room, poll_id), open=False)

    def reveal(self, room: str, poll_id: Any, shown: Any) -> dict:
        if not isinstance(shown, bool):
            raise bad_request("revealed must be true or false")
        return self._update(room, self._get(room, poll_id), revealed=shown)

    def forget(self, room: str) -> None:
        """Remove every poll of ``room``, answers and tallies too (an expired room)."""
        count = int(self._hashes.hget("ids", f"poll:{room}") or 0)
        self._hashes.drop(f"polls:{room}", *(f"{kind}:{room}:{n}" for n in range(1, count + 1)
                                             for kind in ("answers", "tally")))
        self._hashes.hdel("ids", f"poll:{room}")

    def current(self, room: str) -> dict | None:
        number = self._hashes.hget(f"polls:{room}", "current")
        found = self._hashes.hget(f"polls:{room}", number) if number else None
        return json.loads(found) if found else None

    def mine(self, room: str, poll: dict | None, device: str | None) -> str | None:
        """A device's current answer to a poll, to show it selected."""
        if poll is None or device is None:
            return None
        return self._hashes.hget(f"answers:{room}:{poll['id']}", device)

    def results(self, room: str, poll: dict) -> dict:
        """Counts for the poll's kind: per option, per word (top ones), or per 1-5 with mean."""
        tally = {k: int(v) for k, v in self._hashes.hgetall(f"tally:{room}:{poll['id']}").items()
                 if int(v) > 0}
        total = sum(tally.values())
        if poll["kind"] == "cloud":
            words = sorted(tally.items(), key=lambda item: (-item[1], item[0]))[:CLOUD_TOP]
            return {"total": total, "words": [[w, n] for w, n in words]}
        counts = [tally.get(str(i), 0) for i in range(len(poll["options"]))] \
            if poll["kind"] == "choice" else [tally.get(str(n), 0) for n in range(1, 6)]
        body: dict[str, Any] = {"total": total, "counts": counts}
        if poll["kind"] == "scale":
            body["mean"] = round(sum(n * c for n, c in zip(range(1, 6), counts, strict=True))
                                 / total, 2) if total else None
        return body

    def view(self, room: str, presenter: bool) -> dict:
        """The current poll as one audience sees it: results only when revealed (or presenter)."""
        poll = self.current(room)
        if poll is None:
            return {"room": room, "poll": None, "results": None}
        shown = presenter or poll["revealed"]
        return {"room": room, "poll": poll, "results": self.results(room, poll) if shown else None}

    def export(self, room: str, poll_id: Any, fmt: str) -> str:
        """A poll's results as CSV or JSON text, at any time."""
        poll = self._get(room, poll_id)
        results = self.results(room, poll)
        if fmt == "json":
            return json.dumps({"poll": poll, "results": results}, indent=2)
        rows: list[list[Any]] = [["poll", poll["id"], poll["question"]], ["answer", "count"]]
        if poll["kind"] == "cloud":
            rows += [list(word) for word in results["words"]]
        else:
            rows += [list(pair) for pair in zip(poll["options"], results["counts"], strict=True)]
        rows.append(["total", results["total"]])
        if poll["kind"] == "scale":
            rows.append(["mean", results["mean"]])
        return csv_text(rows)

    def _choice(self, poll: dict, answer: Any) -> str:
        if poll["kind"] == "choice":
            if isinstance(answer, bool) or not isinstance(answer, int) \
                    or not 0 <= answer < len(poll["options"]):
                raise bad_request(f"answer must be an option number 0-{len(poll['options']) - 1}")
            return str(answer)
        if poll["kind"] == "scale":
            if isinstance(answer, bool) or not isinstance(answer, int) or not 1 <= answer <= 5:
                raise bad_request("answer must be a whole number from 1 to 5")
            return str(answer)
        word = normalized_word(_text(answer, "answer", MAX_WORD))
        if not word:
            raise bad_request("answer must have a word in it")
        return word

    def _get(self, room: str, poll_id: Any) -> dict:
        if isinstance(poll_id, bool) or not isinstance(poll_id, int):
            raise bad_request("poll must be a poll number")
        found = self._hashes.hget(f"polls:{room}", str(poll_id))
        if found is None:
            raise bad_request(f"no poll {poll_id} in this room")
        return json.loads(found)

    def _update(self, room: str, poll: dict, **fields: Any) -> dict:
        poll = {**poll, **fields}
        self._hashes.hset(f"polls:{room}", str(poll["id"]), json.dumps(poll))
        return poll


def _text(value: Any, name: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise bad_request(f"{name} must be non-empty text")
    if len(value) > limit:
        raise ChorusError("too_large", f"{name} is over {limit} characters")
    return value.strip()
