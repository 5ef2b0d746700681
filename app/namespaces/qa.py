"""The ``/qa`` namespace: questions from the audience, ordered by upvotes, moderated openly.

Events (all acknowledged, see docs/audience.md): join, leave, ask, upvote, answered, hide,
freeze. Server -> client: ``questions``, the list in order with the number hidden.
"""

from __future__ import annotations

from typing import Any

from app.audience.questions import Questions
from app.namespaces.audience import AudienceNamespace, Listener
from app.transport.ratelimit import RateLimit


class QANamespace(AudienceNamespace):
    """Q&A of a room."""

    events = frozenset({"join", "leave", "ask", "upvote", "answered", "hide", "freeze"})

    def __init__(self, questions: Questions, **parts: Any) -> None:
        super().__init__("/qa", **parts)
        self.questions = questions
        self.ask_limit = RateLimit(rate=1 / 10, burst=3, what="questions")
        self.upvote_limit = RateLimit(rate=5, burst=30, what="upvotes")

    def view(self, room: str, presenter: bool, listener: Listener) -> dict:
        view = self.questions.view(room, presenter)
        keys = ("questions", "total", "hidden", "frozen", "hidden_questions")
        return {key: view[key] for key in keys if key in view}

    def on_ask(self, sid: str, data: Any) -> dict:
        """Post a question (``text``, optional ``name``, optional ``id`` for a safe retry)."""
        listener, room, data = self.joined(sid, data)
        self.ask_limit.take(listener.device or listener.client)
        question = self.questions.ask(room, data.get("text"), data.get("name"), data.get("id"))
        self.feed.changed(room)
        return {"ok": True, "question": question}

    def on_upvote(self, sid: str, data: Any) -> dict:
        """Upvote a question; each device counts once."""
        listener, room, data = self.joined(sid, data)
        device = self.device(listener)
        self.upvote_limit.take(device)
        votes, counted = self.questions.upvote(room, data.get("id"), device)
        if counted:
            self.feed.changed(room)
        return {"ok": True, "id": data["id"], "votes": votes, "counted": counted}

    def on_answered(self, sid: str, data: Any) -> dict:
        """Presenter or co-host: mark a question answered (or not, ``answered: false``)."""
        _, room, data = self.moderating(sid, data)
        question = self.questions.mark(room, data.get("id"), "answered",
                                       data.get("answered", True))
        self.feed.changed(room)
        return {"ok": True, "question": question}

    def on_hide(self, sid: str, data: Any) -> dict:
        """Presenter or co-host: hide a question (or show it again, ``hidden: false``)."""
        _, room, data = self.moderating(sid, data)
        question = self.questions.mark(room, data.get("id"), "hidden", data.get("hidden", True))
        self.feed.changed(room)
        return {"ok": True, "question": question}

    def on_freeze(self, sid: str, data: Any) -> dict:
        """Presenter or co-host: hold the order while answering (``frozen: false`` releases
        it)."""
        _, room, data = self.moderating(sid, data)
        self.questions.freeze(room, data.get("frozen", True))
        self.feed.changed(room)
        return {"ok": True, "frozen": data.get("frozen", True)}
