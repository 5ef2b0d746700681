"""Who is in each room: distinct client ids, however many tabs or connections each has.

Two tabs of one browser share a client id and count once. A change of the count is announced to
the room's members on this process as ``presence``, coalesced: when a hall of phones joins at
once, members get a few ``presence`` events rather than one per arrival.

This registry holds this process's connections. The count itself comes from a ``counter``:
``LocalCount`` on a single process, ``SharedPresence`` (app/cluster/shared_presence.py) across
processes, where each process keeps its clients alive in Redis and the count is the union of all
of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from app.sync.broadcast import Emit
from app.sync.coalescer import Coalescer

PRESENCE_SLOWEST = 20  # in the largest rooms, a count every 20 intervals (10 s by default)


class LocalCount:
    """The count of a single process: its own distinct clients."""

    def arrive(self, room: str, client: str) -> None:
        return None

    def depart(self, room: str, client: str) -> None:
        return None

    def count(self, room: str, local: int) -> int:
        return local

    def refresh(self, rooms: dict[str, Iterable[str]]) -> None:
        return None


class Presence:
    """Room -> client id -> connection ids, with coalesced ``presence`` announcements."""

    def __init__(self, emit: Emit, coalescer_for: Callable[..., Coalescer], interval: float,
                 counter: LocalCount | None = None,
                 tell_others: Callable[[str], None] = lambda room: None) -> None:
        self._emit = emit
        self._counter = counter or LocalCount()
        self._tell_others = tell_others
        self._rooms: dict[str, dict[str, set[str]]] = {}
        self._told: dict[str, int] = {}
        # room -> (members, local clients) at its last count: a join's answer is estimated from
        # it, since counting across processes reads every member from Redis (O(members)) and
        # a hall joining at once would make that O(members^2); the announcement that follows
        # within the interval carries the exact count.
        self._counted: dict[str, tuple[int, int]] = {}
        self._moved: set[str] = set()  # rooms whose local membership others have not heard of
        # A count goes to every member: in a room of 12,000 on one process an announcement
        # takes ~0.2 s to write, and twice a second would be half the process's time while a
        # hall joins. The interval grows with that cost so announcements take at most ~2% of
        # the time (every ~10 s at 12,000), and is ``interval`` in rooms of a few hundred.
        self._announcer = coalescer_for(interval * PRESENCE_SLOWEST, self._announce,
                                        min_interval=interval, cost_factor=50)

    def add(self, room: str, client: str, sid: str) -> int:
        """Count connection ``sid`` of ``client`` in ``room``; returns the room's member count."""
        clients = self._rooms.setdefault(room, {})
        connections = clients.setdefault(client, set())
        arrived = not connections
        connections.add(sid)
        if arrived:
            self._counter.arrive(room, client)
            self._moved.add(room)
            self._announcer.trigger(room)
        counted = self._counted.get(room)
        if counted is None:
            return self._count(room, len(clients))
        members, local_then = counted
        estimate = max(len(clients), members + len(clients) - local_then)
        if estimate != self._told.get(room):
            # The estimate can be wrong (a client that reconnects here from a process that
            # died was counted already): the next count is announced even if it did not move,
            # so the member answered with the estimate hears the exact one.
            self._told.pop(room, None)
            self._announcer.trigger(room)
        return estimate

    def discard(self, room: str, client: str, sid: str) -> int:
        """Forget connection ``sid`` in ``room``; returns how many local clients remain there."""
        clients = self._rooms.get(room)
        if clients is None:
            return 0
        connections = clients.get(client)
        if connections is not None:
            connections.discard(sid)
            if not connections:
                del clients[client]
                self._counter.depart(room, client)
                self._moved.add(room)
                self._announcer.trigger(room)
        if not clients:
            del self._rooms[room]
            self._told.pop(room, None)
            self._counted.pop(room, None)
            self._announcer.forget(room)
            if room in self._moved:  # no flush will run for an empty room: say it now
                self._moved.discard(room)
                self._tell_others(room)
            return 0
        return len(clients)

    def here(self, room: str) -> bool:
        """Whether ``room`` has members connected to this process."""
        return room in self._rooms

    def count(self, room: str) -> int:
        """The number of distinct clients in ``room``, across processes where shared."""
        return self._counter.count(room, len(self._rooms.get(room, ())))

    def _count(self, room: str, local: int) -> int:
        members = self._counter.count(room, local)
        self._counted[room] = (members, local)
        return members

    def rooms(self) -> int:
        return len(self._rooms)

    def elsewhere(self, room: str) -> None:
        """Another process's membership of ``room`` moved: recount for ours."""
        if room in self._rooms:
            self._announcer.trigger(room)

    def refresh(self) -> None:
        """Renew this process's clients in the shared count and recount every local room."""
        self._counter.refresh({room: list(clients) for room, clients in self._rooms.items()})
        for room in list(self._rooms):
            self._announcer.trigger(room)

    def _announce(self, room: str) -> bool:
        told_others = room in self._moved
        if told_others:
            self._moved.discard(room)
            self._tell_others(room)
        local = len(self._rooms.get(room, ()))
        if local == 0:
            return told_others
        members = self._count(room, local)
        if self._told.get(room) == members:
            return told_others
        self._told[room] = members
        self._emit("presence", {"room": room, "members": members}, room)
        return True
