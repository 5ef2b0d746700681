"""What the audience namespaces (/poll, /qa, /pulse) share: who is connected, and who presents.

A connection says who it is in ``auth`` (as on /sync) and brings its device id in the signed
cookie (app/audience/identity.py). It joins a room as audience, or as presenter with the room's
token; presenter actions check that flag and answer ``forbidden`` otherwise. With the room's
co-host token it joins as co-host: it sees what the presenter sees and may moderate
(``moderating``), while presenter-only events (``presenting``) answer ``forbidden``. Audience
members and presenters (co-hosts with them) sit in different Socket.IO rooms (``R`` and
``R#present``), so each is sent the view that is theirs (poll results stay hidden from the
audience until revealed).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from socketio.exceptions import ConnectionRefusedError

from app.audience.feed import Feed
from app.audience.identity import DeviceIds
from app.audience.presenters import Presenters
from app.namespaces.base import ContractNamespace
from app.state.errors import FORBIDDEN, NOT_JOINED, ChorusError, unavailable
from app.sync.payloads import parse_auth, parse_leave, require_object, room_name

PRESENT = "#present"


@dataclass
class Listener:
    """One connection to an audience namespace."""

    sid: str
    client: str
    device: str | None
    rooms: dict[str, bool] = field(default_factory=dict)  # room -> sees the presenter's view
    cohosts: set[str] = field(default_factory=set)  # rooms joined as co-host only


class AudienceNamespace(ContractNamespace):
    """join/leave with an optional presenter token; subclasses add their events and views."""

    def __init__(self, namespace: str, feed: Feed, presenters: Presenters,
                 devices: DeviceIds) -> None:
        super().__init__(namespace)
        self.feed = feed
        self.presenters = presenters
        self.devices = devices
        self.listeners: dict[str, Listener] = {}

    def connected(self, sid: str, environ: dict, auth: Any = None) -> None:
        try:
            client, _name = parse_auth(auth)
        except ChorusError as refusal:
            refused = ConnectionRefusedError(refusal.message)
            refused.error_args = {"code": refusal.code, "message": refusal.message}
            raise refused from None
        self.listeners[sid] = Listener(sid, client or "anon-" + secrets.token_urlsafe(12),
                                       self.devices.from_environ(environ))

    def disconnected(self, sid: str, reason: Any = None) -> None:
        listener = self.listeners.pop(sid, None)
        for room in listener.rooms if listener else ():
            self.feed.unfollow(room)

    def on_join(self, sid: str, data: Any) -> dict:
        """Join a room; with ``token``, as its presenter or co-host. The ack carries the current
        view and the ``role`` (audience, presenter or cohost)."""
        data = require_object(data)
        room = room_name(data)
        listener = self.listener(sid)
        presenter = cohost = False
        if data.get("token") is not None:
            cohost = not self.presenters.verify(room, data["token"])
            if cohost and not self.presenters.verify_cohost(room, data["token"]):
                raise ChorusError(FORBIDDEN, "that is not this room's presenter token")
            presenter = True
        (listener.cohosts.add if cohost else listener.cohosts.discard)(room)
        if room not in listener.rooms:
            self.feed.follow(room)
        elif listener.rooms[room] != presenter:
            self.leave_room(sid, self._target(room, listener.rooms[room]))
        listener.rooms[room] = presenter
        self.enter_room(sid, self._target(room, presenter))
        role = "cohost" if cohost else "presenter" if presenter else "audience"
        return {"ok": True, "room": room, "presenter": presenter and not cohost, "role": role,
                **self.view(room, presenter, listener)}

    def on_leave(self, sid: str, data: Any) -> dict:
        room = parse_leave(data)
        listener = self.listener(sid)
        if room in listener.rooms:
            self.leave_room(sid, self._target(room, listener.rooms.pop(room)))
            listener.cohosts.discard(room)
            self.feed.unfollow(room)
        return {"ok": True}

    def view(self, room: str, presenter: bool, listener: Listener) -> dict:
        """What a join ack carries besides ok/room/presenter; subclasses say."""
        return {}

    def listener(self, sid: str) -> Listener:
        found = self.listeners.get(sid)
        if found is None:
            raise unavailable("this connection is closing")
        return found

    def joined(self, sid: str, data: Any) -> tuple[Listener, str, dict]:
        """The listener, the room and the payload of an event that needs the room joined."""
        data = require_object(data)
        room = room_name(data)
        listener = self.listener(sid)
        if room not in listener.rooms:
            raise ChorusError(NOT_JOINED, f"join {room} first")
        return listener, room, data

    def presenting(self, sid: str, data: Any) -> tuple[Listener, str, dict]:
        """As ``joined``, and the connection must have joined as the room's presenter."""
        listener, room, data = self.joined(sid, data)
        if not listener.rooms[room] or room in listener.cohosts:
            raise ChorusError(FORBIDDEN, "only the presenter can do that")
        return listener, room, data

    def moderating(self, sid: str, data: Any) -> tuple[Listener, str, dict]:
        """As ``joined``, and the connection must have joined as the room's presenter or
        co-host: moderation (questions, open answers, words, board messages)."""
        listener, room, data = self.joined(sid, data)
        if not listener.rooms[room]:
            raise ChorusError(FORBIDDEN, "only the presenter or a co-host can do that")
        return listener, room, data

    @staticmethod
    def device(listener: Listener) -> str:
        """The connection's device id, which votes need."""
        if listener.device is None:
            raise ChorusError(FORBIDDEN, "no device id: open the room page first, which gives "
                                         "this browser one (a signed cookie)")
        return listener.device

    @staticmethod
    def _target(room: str, presenter: bool) -> str:
        return room + PRESENT if presenter else room

    @staticmethod
    def audiences(room: str) -> tuple[str, str]:
        """The Socket.IO rooms of a room's audience and of its presenters."""
        return room, room + PRESENT
