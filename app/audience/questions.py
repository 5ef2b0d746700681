"""Q&A: the audience asks, upvotes once per device, and the list is ordered by votes.

The presenter can freeze the order while answering (new questions then join at the end), mark
a question answered, or hide it; everyone sees how many are hidden, so moderation happens in the
open. Questions are plain text: clients must show them as text, never as HTML. Listed swear
words in a question or a name are masked as it arrives (wordfilter.py).
"""

from __future__ import annotations

import json
import re
import secrets
import time
from typing import Any

from app.audience.spreadsheet import csv_text
from app.audience.wordfilter import WordFilter
from app.state.errors import bad_request, too_large
from app.state.hashes import Hashes

MAX_TEXT = 280
MAX_NAME = 40
MAX_QUESTIONS = 200  # per room
AUDIENCE_TOP = 50  # the audience's list is the top of the order; the presenter sees all
ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class Questions:
    """Ask, upvote, answer, hide, freeze; and the ordered list for a room."""

    def __init__(self, hashes: Hashes, words: WordFilter | None = None) -> None:
        self._hashes = hashes
        self.words = words or WordFilter()

    def ask(self, room: str, text: Any, name: Any = None, question_id: Any = None) -> dict:
        """Post a question. A client-chosen ``id`` makes a retry post it once."""
        if not isinstance(text, str):
            raise bad_request("text must be the question, as text")
        if not text.strip():
            raise bad_request("a question needs some text, not only spaces")
        if len(text.strip()) > MAX_TEXT:  # refused whole, never cut: the asker shortens it
            raise bad_request(f"a question is at most {MAX_TEXT} characters; "
                              f"this one has {len(text.strip())}")
        if name is not None and (not isinstance(name, str) or len(name) > MAX_NAME):
            raise bad_request(f"name must be text of at most {MAX_NAME} characters")
        if question_id is None:
            question_id = secrets.token_urlsafe(9)
        elif not (isinstance(question_id, str) and ID.fullmatch(question_id)):
            raise bad_request("id must be 1-64 of A-Z a-z 0-9 _ -")
        existing = self._hashes.hget(f"qa:{room}", question_id)
        if existing is not None:
            return json.loads(existing)  # a retry of the same question
        if len(self._hashes.hgetall(f"qa:{room}")) >= MAX_QUESTIONS:
            raise too_large(f"a room holds at most {MAX_QUESTIONS} questions")
        clean, _ = self.words.masked(text.strip())
        named = self.words.masked((name or "").strip())[0] or None
        question = {"id": question_id, "text": clean, "name": named,
                    "at": time.time(), "answered": False, "hidden": False}
        if not self._hashes.hsetnx(f"qa:{room}", question_id, json.dumps(question)):
            return json.loads(self._hashes.hget(f"qa:{room}", question_id) or "{}")
        return question

    def forget(self, room: str) -> None:
        """Remove every question of ``room``, with its votes and order (an expired room)."""
        ids = list(self._hashes.hgetall(f"qa:{room}"))
        self._hashes.drop(f"qa:{room}", f"qa_votes:{room}", f"qa_meta:{room}",
                          *(f"qa_voters:{room}:{qid}" for qid in ids))

    def upvote(self, room: str, question_id: Any, device: str) -> tuple[int, bool]:
        """One upvote per device; returns (votes, whether this one counted)."""
        question = self._get(room, question_id)
        if question["hidden"]:
            raise bad_request("this question is hidden")
        counted = self._hashes.count_once(f"qa_voters:{room}:{question['id']}", f"qa_votes:{room}",
                                          question["id"], device)
        if counted is not None:
            return counted, True
        return int(self._hashes.hget(f"qa_votes:{room}", question["id"]) or 0), False

    def mark(self, room: str, question_id: Any, field: str, value: Any) -> dict:
        """Set ``answered`` or ``hidden`` on a question (presenter only, checked by the caller)."""
        if not isinstance(value, bool):
            raise bad_request(f"{field} must be true or false")
        question = {**self._get(room, question_id), field: value}
        self._hashes.hset(f"qa:{room}", question["id"], json.dumps(question))
        return question

    def freeze(self, room: str, frozen: Any) -> None:
        """Hold the current order while answering; unfreeze to order by votes again."""
        if not isinstance(frozen, bool):
            raise bad_request("frozen must be true or false")
        if frozen:
            order = [q["id"] for q in self._ordered(room, None)[0]]
            self._hashes.hset(f"qa_meta:{room}", "order", json.dumps(order))
        else:
            self._hashes.hdel(f"qa_meta:{room}", "order")

    def view(self, room: str, presenter: bool) -> dict:
        """The list as a client sees it: shown questions in order, and how many are hidden."""
        frozen_order = self._hashes.hget(f"qa_meta:{room}", "order")
        order = json.loads(frozen_order) if frozen_order else None
        shown, hidden = self._ordered(room, order)
        view = {"room": room, "questions": shown if presenter else shown[:AUDIENCE_TOP],
                "total": len(shown), "hidden": len(hidden), "frozen": order is not None}
        if presenter:  # so a hidden question can be shown again, even after a reload
            view["hidden_questions"] = hidden
        return view

    def export(self, room: str, fmt: str) -> str:
        """Every question (shown in order, then hidden ones), as CSV or JSON text."""
        shown, hidden = self._ordered(room, None)
        every = shown + hidden
        if fmt == "json":
            return json.dumps({"room": room, "questions": every}, indent=2, ensure_ascii=False)
        rows: list[list[Any]] = [["id", "text", "name", "asked at", "votes", "answered",
                                  "hidden"]]
        rows += [[q["id"], q["text"], q["name"] or "",
                  time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(q["at"])), q["votes"],
                  "yes" if q["answered"] else "no", "yes" if q["hidden"] else "no"]
                 for q in every]
        return csv_text(rows)

    def _ordered(self, room: str, order: list[str] | None) -> tuple[list[dict], list[dict]]:
        votes = self._hashes.hgetall(f"qa_votes:{room}")
        every = [{**json.loads(text), "votes": int(votes.get(qid, 0))}
                 for qid, text in self._hashes.hgetall(f"qa:{room}").items()]
        shown = [q for q in every if not q["hidden"]]
        if order is None:
            shown.sort(key=lambda q: (q["answered"], -q["votes"], q["at"]))
        else:
            place = {qid: i for i, qid in enumerate(order)}
            shown.sort(key=lambda q: (place.get(q["id"], len(place)), q["at"]))
        return shown, sorted((q for q in every if q["hidden"]), key=lambda q: q["at"])

    def _get(self, room: str, question_id: Any) -> dict:
        if not (isinstance(question_id, str) and ID.fullmatch(question_id)):
            raise bad_request("id must be a question id")
        found = self._hashes.hget(f"qa:{room}", question_id)
        if found is None:
            raise bad_request("no such question in this room")
        return json.loads(found)

