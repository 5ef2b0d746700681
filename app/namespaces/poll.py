"""The ``/poll`` namespace: the presenter opens, closes and reveals polls; devices answer.

Events (all acknowledged, see docs/audience.md): join, leave, open, answer, close, reveal.
Server -> client: ``poll``, the current poll and, when visible to that client, its results.
"""

from __future__ import annotations

from typing import Any

from app.audience.polls import Polls
from app.namespaces.audience import AudienceNamespace, Listener
from app.transport.ratelimit import RateLimit


class PollNamespace(AudienceNamespace):
    """Live polls of a room."""

    events = frozenset({"join", "leave", "open", "answer", "close", "reveal"})

    def __init__(self, polls: Polls, **parts: Any) -> None:
        super().__init__("/poll", **parts)
        self.polls = polls
        self.answer_limit = RateLimit(rate=2, burst=10, what="answers")

    def view(self, room: str, presenter: bool, listener: Listener) -> dict:
        view = self.polls.view(room, presenter)
        view["mine"] = self.polls.mine(room, view["poll"], listener.device)
        return {"poll": view["poll"], "results": view["results"], "mine": view["mine"]}

    def on_open(self, sid: str, data: Any) -> dict:
        """Presenter: open a poll of kind choice (with options), cloud or scale."""
        _, room, data = self.presenting(sid, data)
        poll = self.polls.open(room, data.get("kind"), data.get("question"),
                               data.get("options"), data.get("hidden", False))
        self.feed.changed(room)
        return {"ok": True, "poll": poll}

    def on_answer(self, sid: str, data: Any) -> dict:
        """Answer the open poll; answering again replaces this device's earlier answer."""
        listener, room, data = self.joined(sid, data)
        device = self.device(listener)
        self.answer_limit.take(device)
        choice = self.polls.answer(room, device, data.get("poll"), data.get("answer"))
        self.feed.changed(room)
        return {"ok": True, "poll": data["poll"], "mine": choice}

    def on_close(self, sid: str, data: Any) -> dict:
        """Presenter: close a poll; its results stay available."""
        _, room, data = self.presenting(sid, data)
        poll = self.polls.close(room, data.get("poll"))
        self.feed.changed(room)
        return {"ok": True, "poll": poll}

    def on_reveal(self, sid: str, data: Any) -> dict:
        """Presenter: show (``revealed: true``) or hide the results from the audience."""
        _, room, data = self.presenting(sid, data)
        poll = self.polls.reveal(room, data.get("poll"), data.get("revealed", True))
        self.feed.changed(room)
        return {"ok": True, "poll": poll}
