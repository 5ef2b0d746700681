"""The ``/sync`` namespace: shared values in rooms, as docs/protocol.md describes.

Handlers stay thin: validate the payload, call ``Rooms``, return the ack. Batches of ``changes``
and ``presence`` events are sent by the broadcaster and the presence registry, not from here.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from socketio.exceptions import ConnectionRefusedError

from app.namespaces.base import ContractNamespace
from app.state.errors import FORBIDDEN, ChorusError
from app.sync.payloads import parse_auth, parse_join, parse_leave
from app.sync.rooms import Member, Rooms
from app.transport.addresses import budget_key

log = logging.getLogger(__name__)


class SyncNamespace(ContractNamespace):
    """join, leave, set, incr and delete, each answered with an ack."""

    events = frozenset({"join", "leave", "set", "incr", "delete"})

    def __init__(self, rooms: Rooms, namespace: str = "/sync") -> None:
        super().__init__(namespace)
        self.rooms = rooms
        self.members: dict[str, Member] = {}

    def connected(self, sid: str, environ: dict, auth: Any = None) -> None:
        """Accept a connection whose ``auth`` is absent or well formed; refuse it otherwise."""
        try:
            client, name = parse_auth(auth)
        except ChorusError as refusal:
            refused = ConnectionRefusedError(refusal.message)
            refused.error_args = {"code": refusal.code, "message": refusal.message}
            raise refused from None
        client = client or "anon-" + secrets.token_urlsafe(12)
        self.members[sid] = Member(sid, client, name, budget_key=budget_key(environ),
                                   device=self.rooms.policy.device(environ))

    def disconnected(self, sid: str, reason: Any = None) -> None:
        """Take a closed connection out of every room it was in."""
        member = self.members.pop(sid, None)
        if member is not None:
            if member.rooms:
                log.info("/sync client %s left %s (%s)", member.client,
                         ",".join(sorted(member.rooms)), reason or "disconnected",
                         extra={"client": member.client, "room": ",".join(sorted(member.rooms)),
                                "event": "leave"})
            self.rooms.leave_all(member)

    def describe(self, sid: str) -> str:
        member = self.members.get(sid)
        return member.client if member is not None else sid

    def on_join(self, sid: str, data: Any) -> dict:
        """Join a room; the ack carries its values, or the changes since ``since``. With
        ``token`` (the room's presenter token) the connection's writes there count as the
        presenter's; a wrong token is ``forbidden``."""
        member = self._member(sid)
        request = parse_join(data)
        token = data.get("token")
        if token is not None and not self.rooms.policy.presents(request.room, token):
            raise ChorusError(FORBIDDEN, "that is not this room's presenter token")
        ack = self.rooms.join(member, request,
                              enter=lambda room: self.enter_room(sid, room),
                              exit_=lambda room: self.leave_room(sid, room))
        if token is not None:
            member.presenting.add(request.room)
        else:
            member.presenting.discard(request.room)
        log.info("/sync client %s joined %s (%s members)", member.client, ack["room"],
                 ack["members"], extra={"client": member.client, "room": ack["room"],
                                        "event": "join"})
        return ack

    def on_leave(self, sid: str, data: Any) -> dict:
        """Leave a room; idempotent."""
        return self.rooms.leave(self._member(sid), parse_leave(data),
                                exit_=lambda room: self.leave_room(sid, room))

    def on_set(self, sid: str, data: Any) -> dict:
        """Set a key, optionally only at an expected version."""
        return self._write("set", sid, data)

    def on_incr(self, sid: str, data: Any) -> dict:
        """Add to a number, atomically."""
        return self._write("incr", sid, data)

    def on_delete(self, sid: str, data: Any) -> dict:
        """Delete a key; it keeps its version."""
        return self._write("delete", sid, data)

    def _write(self, kind: str, sid: str, data: Any) -> dict:
        member = self._member(sid)
        room = data.get("room") if isinstance(data, dict) else None
        return self.rooms.write(kind, data, member.client, member.rooms, member.budget_key,
                                writer=member.writer(room if isinstance(room, str) else ""))

    def _member(self, sid: str) -> Member:
        member = self.members.get(sid)
        if member is None:  # an event racing its own disconnect
            raise ChorusError("unavailable", "this connection is closing")
        return member
