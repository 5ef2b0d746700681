"""The ``/pulse`` namespace: emoji reactions and the pace meter.

Events (all acknowledged, see docs/audience.md): join, leave, react, pace, and the presenter's
focus. Screens (a presenter, or a display joined with ``screen: true``) get ``reactions``
bursts, ``pace`` and ``focus``; phones only send.
"""

from __future__ import annotations

from typing import Any

from app.audience.pulse import Pulse
from app.namespaces.audience import AudienceNamespace, Listener
from app.state.errors import bad_request
from app.sync.payloads import require_object, room_name
from app.transport.ratelimit import RateLimit


class PulseNamespace(AudienceNamespace):
    """Reactions and pace of a room."""

    events = frozenset({"join", "leave", "react", "pace", "focus"})

    def __init__(self, pulse: Pulse, **parts: Any) -> None:
        super().__init__("/pulse", **parts)
        self.pulse = pulse
        self.react_limit = RateLimit(rate=8, burst=20, what="reactions")
        self.pace_limit = RateLimit(rate=1, burst=5, what="pace votes")

    def on_join(self, sid: str, data: Any) -> dict:
        """As for every audience namespace; ``screen: true`` also receives the bursts."""
        ack = super().on_join(sid, data)
        if require_object(data).get("screen") is True and not ack["presenter"]:
            self.enter_room(sid, room_name(data) + "#present")
        return ack

    def on_leave(self, sid: str, data: Any) -> dict:
        ack = super().on_leave(sid, data)
        self.leave_room(sid, room_name(require_object(data)) + "#present")
        return ack

    def view(self, room: str, presenter: bool, listener: Listener) -> dict:
        return {"pace": self.pulse.pace(room), "reactions": self.pulse.totals(room),
                "focus": self.pulse.focus(room)}

    def on_react(self, sid: str, data: Any) -> dict:
        """Send an emoji to the screens."""
        listener, room, data = self.joined(sid, data)
        self.react_limit.take(listener.device or listener.client)
        self.pulse.react(room, data.get("emoji"))
        return {"ok": True}

    def on_pace(self, sid: str, data: Any) -> dict:
        """Say the pace: slow, good or fast."""
        listener, room, data = self.joined(sid, data)
        device = self.device(listener)
        self.pace_limit.take(device)
        self.pulse.vote_pace(room, device, data.get("value"))
        self.feed.changed(room)
        return {"ok": True}

    def on_focus(self, sid: str, data: Any) -> dict:
        """The presenter shows the poll or one question full screen on every screen, or none."""
        _, room, data = self.presenting(sid, data)
        if "focus" not in data:
            raise bad_request('focus is missing: null, {"poll": true} or {"question": "<id>"}')
        return {"ok": True, "focus": self.pulse.set_focus(room, data["focus"])}
