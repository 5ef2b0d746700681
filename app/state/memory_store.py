"""The in-memory store: one process only, and everything is lost when it stops.

For tests and for trying Chorus out. Each start is a new epoch, so clients that come back after a
restart are told to take a fresh snapshot. Several processes each with a memory store would each
hold a different truth: use sqlite_store on one box and redis_store across processes.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from app.state.base import Applied, Batch, Limits, Store, Write
from app.state.errors import too_large
from app.state.writes import (
    MAX_TOMBSTONES,
    Conflict,
    Entry,
    ack_for,
    changes_in,
    join_body,
    plan,
    since_reaches,
    unchanged_ack,
)


class _Room:
    __slots__ = ("version", "floor", "key_floor", "entries", "live", "dead", "active_at")

    def __init__(self, active_at: float = 0.0) -> None:
        self.active_at = active_at  # wall clock of the last write or touch
        self.version = 0
        self.floor = 0  # a `since` below this cannot be answered with changes
        self.key_floor = 0  # highest version among forgotten tombstones
        self.entries: dict[str, Entry] = {}
        self.live = 0
        self.dead = 0


class MemoryStore(Store):
    """Rooms in a dict, guarded by a lock (gevent never switches inside it: no I/O there)."""

    def __init__(self, limits: Limits | None = None, clock=time.monotonic,
                 wall=time.time) -> None:
        super().__init__(limits)
        self._wall = wall
        self._epoch = secrets.token_urlsafe(9)
        self._rooms: dict[str, _Room] = {}
        self._ops: OrderedDict[tuple[str, str], tuple[dict, float]] = OrderedDict()
        self._lock = threading.Lock()
        self._clock = clock

    @property
    def epoch(self) -> str:
        return self._epoch

    def join_state(self, room: str, since: int | None = None,
                   epoch: str | None = None) -> dict[str, Any]:
        with self._lock:
            state = self._rooms.get(room) or _Room()
            reaches = epoch in (None, self._epoch) and since_reaches(
                since, state.version, state.floor, self.limits.log_size)
            return join_body(self._epoch, state.version, state.entries, since, reaches)

    def changes_after(self, room: str, version: int) -> Batch:
        with self._lock:
            state = self._rooms.get(room) or _Room()
            return Batch(self._epoch, version, state.version, changes_in(state.entries, version))

    def apply(self, write: Write) -> Applied:
        with self._lock:
            remembered = self._recall(write)
            if remembered is not None:
                return Applied(remembered, None)
            try:
                ack, version = self._apply(write)
            except Conflict as conflict:
                ack, version = conflict.ack(), None
            self._remember(write, ack)
            return Applied(ack, version)

    def touch(self, rooms: Iterable[str], create: bool = False) -> None:
        now = self._wall()
        with self._lock:
            for name in rooms:
                room = self._rooms.get(name)
                if room is None and create:
                    if len(self._rooms) >= self.limits.max_rooms:
                        raise too_large(f"the store holds at most {self.limits.max_rooms} rooms")
                    room = self._rooms[name] = _Room()
                if room is not None:
                    room.active_at = now

    def activity(self) -> dict[str, float]:
        with self._lock:
            return {name: room.active_at for name, room in self._rooms.items()}

    def remove(self, room: str, idle_since: float | None = None) -> bool:
        with self._lock:
            held = self._rooms.get(room)
            if held is None or (idle_since is not None and held.active_at > idle_since):
                return False
            del self._rooms[room]
            return True

    def check(self) -> None:
        return None

    def _apply(self, write: Write) -> tuple[dict, int | None]:
        room = self._rooms.get(write.room)
        if room is None:
            if write.kind == "delete":
                return unchanged_ack(None), None
            if len(self._rooms) >= self.limits.max_rooms:
                raise too_large(f"the store holds at most {self.limits.max_rooms} rooms")
            room = _Room()
        current = room.entries.get(write.key)
        entry = plan(write, current, room.live, self.limits.max_keys, room.key_floor)
        if entry is None:
            return unchanged_ack(current), None
        self._rooms[write.room] = room
        room.active_at = self._wall()
        room.version += 1
        entry.rversion = room.version
        was_live = current is not None and not current.deleted
        room.live += (not entry.deleted) - was_live
        room.dead += entry.deleted - (current is not None and current.deleted)
        room.entries[write.key] = entry
        if room.dead > MAX_TOMBSTONES:
            self._forget_oldest_tombstone(room)
        return ack_for(write, entry), room.version

    @staticmethod
    def _forget_oldest_tombstone(room: _Room) -> None:
        key, entry = min(((k, e) for k, e in room.entries.items() if e.deleted),
                         key=lambda item: item[1].rversion)
        del room.entries[key]
        room.dead -= 1
        room.floor = max(room.floor, entry.rversion)
        room.key_floor = max(room.key_floor, entry.version)

    def _recall(self, write: Write) -> dict | None:
        if write.op is None:
            return None
        found = self._ops.get((write.client, write.op))
        return found[0] if found else None

    def _remember(self, write: Write, ack: dict) -> None:
        if write.op is None:
            return
        now = self._clock()
        self._ops[(write.client, write.op)] = (ack, now)
        horizon = now - self.limits.op_ttl
        while self._ops:
            _, (_, at) = next(iter(self._ops.items()))
            if at >= horizon:
                break
            self._ops.popitem(last=False)

