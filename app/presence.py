"""Who is in each room: distinct client ids, however many tabs or connections each has.

Two tabs of one browser share a client id and count once. A change of the count is announced to
the room as ``presence``, coalesced: when a hall of phones joins at once, members get a few
``presence`` events rather than one per arrival.

This registry holds the connections of this process only.
"""

from __future__ import annotations

from collections.abc import Callable

from app.broadcast import Emit
from app.coalescer import Coalescer


class Presence:
    """Room -> client id -> connection ids, with coalesced ``presence`` announcements."""

    def __init__(self, emit: Emit, coalescer_for: Callable[..., Coalescer],
                 interval: float) -> None:
        self._emit = emit
        self._rooms: dict[str, dict[str, set[str]]] = {}
        self._told: dict[str, int] = {}
        self._announcer = coalescer_for(interval, self._announce)

    def add(self, room: str, client: str, sid: str) -> int:
        """Count connection ``sid`` of ``client`` in ``room``; returns the room's member count."""
        clients = self._rooms.setdefault(room, {})
        connections = clients.setdefault(client, set())
        arrived = not connections
        connections.add(sid)
        if arrived:
            self._announcer.trigger(room)
        return len(clients)

    def discard(self, room: str, client: str, sid: str) -> int:
        """Forget connection ``sid`` in ``room``; returns the room's member count after it."""
        clients = self._rooms.get(room)
        if clients is None:
            return 0
        connections = clients.get(client)
        if connections is not None:
            connections.discard(sid)
            if not connections:
                del clients[client]
                self._announcer.trigger(room)
        if not clients:
            del self._rooms[room]
            self._told.pop(room, None)
            self._announcer.forget(room)
            return 0
        return len(clients)

    def count(self, room: str) -> int:
        """The number of distinct clients in ``room``."""
        return len(self._rooms.get(room, ()))

    def rooms(self) -> int:
        return len(self._rooms)

    def _announce(self, room: str) -> bool:
        members = self.count(room)
        if members == 0 or self._told.get(room) == members:
            return False
        self._told[room] = members
        self._emit("presence", {"room": room, "members": members}, room)
        return True
