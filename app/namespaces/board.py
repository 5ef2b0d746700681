"""The ``/board`` namespace: a room's defined controls, live, and the presenter's moderation.

Events (all acknowledged, see docs/audience.md, "Defined boards"): join, leave, approve,
reject, reset. Server -> client: ``board``, the room's controls (and, to the presenter, the
texts waiting for approval) whenever they change. Writes to the keys themselves stay on /sync;
approving a text writes it there as a normal change.
"""

from __future__ import annotations

from typing import Any

from app.audience.board import Boards
from app.namespaces.audience import AudienceNamespace, Listener


class BoardNamespace(AudienceNamespace):
    """The board of a room."""

    events = frozenset({"join", "leave", "approve", "reject", "reset"})

    def __init__(self, boards: Boards, **parts: Any) -> None:
        super().__init__("/board", **parts)
        self.boards = boards

    def view(self, room: str, presenter: bool, listener: Listener) -> dict:
        view = self.boards.view(room, presenter)
        view.pop("room")
        return view

    def on_approve(self, sid: str, data: Any) -> dict:
        """Moderator: apply a held text (``id``) to its key."""
        _listener, room, data = self.moderating(sid, data)
        return self.boards.decide(room, data.get("id"), approve=True)

    def on_reject(self, sid: str, data: Any) -> dict:
        """Moderator: drop a held text (``id``)."""
        _listener, room, data = self.moderating(sid, data)
        return self.boards.decide(room, data.get("id"), approve=False)

    def on_reset(self, sid: str, data: Any) -> dict:
        """Presenter: put a control (``key``) back to its start value."""
        _listener, room, data = self.presenting(sid, data)
        return self.boards.reset(room, data.get("key"))
