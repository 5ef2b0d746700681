"""Send one kind of audience state (the poll, the questions, the pace) to a room's members.

Like the rooms' batches (app/sync/broadcast.py): a change only says "room R moved"; at most once per
interval the feed rebuilds the state from the store and emits it to this process's members,
and the process that made the change tells the others, which rebuild it for theirs. Each client
hears from one process only, in order, so it never sees an older state after a newer one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from app.state.errors import ChorusError
from app.sync.coalescer import Coalescer

log = logging.getLogger(__name__)

# build(room) -> [(Socket.IO room, event, payload), ...]: who gets what
Build = Callable[[str], list[tuple[str, str, dict]]]
Emit = Callable[[str, dict, str], None]  # (event, payload, Socket.IO room)


class Feed:
    """Coalesced, store-built updates of one kind for the rooms with members here."""

    def __init__(self, build: Build, emit: Emit, coalescer_for: Callable[..., Coalescer],
                 interval: float, tell_others: Callable[[str], None] = lambda room: None) -> None:
        self._build = build
        self._emit = emit
        self._tell_others = tell_others
        self._members: dict[str, int] = {}  # room -> local connections following it
        self._untold: set[str] = set()
        self._ticker = coalescer_for(interval, self._flush)

    def follow(self, room: str) -> None:
        self._members[room] = self._members.get(room, 0) + 1

    def unfollow(self, room: str) -> None:
        left = self._members.get(room, 0) - 1
        if left > 0:
            self._members[room] = left
        else:
            self._members.pop(room, None)
            self._ticker.forget(room)

    def changed(self, room: str) -> None:
        """A change made here: members everywhere get the new state within an interval."""
        self._untold.add(room)
        self._ticker.trigger(room)

    def changed_elsewhere(self, room: str) -> None:
        if room in self._members:
            self._ticker.trigger(room)

    def resync(self) -> None:
        """Rebuild every followed room (on each heartbeat: states that decay, lost notices)."""
        for room in list(self._members):
            self._ticker.trigger(room)

    def _flush(self, room: str) -> bool:
        told = room in self._untold
        if told:
            self._untold.discard(room)
            self._tell_others(room)
        if room not in self._members:
            return told
        try:
            updates = self._build(room)
        except ChorusError as exc:
            log.warning("room %s: update not sent (%s); retrying", room, exc.message)
            self._ticker.trigger(room)
            return True
        for target, event, payload in updates:
            self._emit(event, payload, target)
        return True
