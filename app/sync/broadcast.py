"""The ``changes`` batches: each room's changes go out once per tick, built from the store.

A write only says "room R changed". At the flush, the broadcaster asks the store for every change
after the version it last sent to this process's members of R, and emits one batch: one entry per
key (the latest), ``from`` the version it sent last, so the batches a client receives chain
without gaps. Because a batch is read from the store rather than assembled from writes, a burst
of 100 drags of one slider becomes a few batches, and a notification that is late or lost only
delays the batch that follows; it never loses a change.

With several processes, the process that wrote also tells the others (``tell_others``, once per
tick at most), and each of them builds its own batches for its own members from the shared log:
the ``from`` chain of every client holds, whichever process it is connected to.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from app.state import Store
from app.state.errors import ChorusError
from app.sync.coalescer import Coalescer

log = logging.getLogger(__name__)

Emit = Callable[[str, dict[str, Any], str], None]  # (event, payload, room)


class Broadcaster:
    """Sends each followed room's changes to its local members, at most once per tick."""

    def __init__(self, store: Store, emit: Emit, coalescer_for: Callable[..., Coalescer],
                 tick: float, tell_others: Callable[[str], None] = lambda room: None) -> None:
        self._store = store
        self._emit = emit
        self._tell_others = tell_others
        self._sent: dict[str, tuple[str, int]] = {}  # room -> (epoch, version) members hold
        self._untold: set[str] = set()  # rooms changed here that other processes must hear of
        # Adaptive: a room whose batch is cheap to send is flushed more often, down to a tenth
        # of the tick (see app/sync/coalescer.py); a room of thousands, every tick.
        self._ticker = coalescer_for(tick, self._flush, min_interval=tick / 10)

    def follow(self, room: str, epoch: str, version: int) -> None:
        """Start sending ``room``'s changes after ``version``; called as its first member joins."""
        if room not in self._sent:
            self._sent[room] = (epoch, version)
            # A change may have landed between the member's snapshot and now: look once.
            self._ticker.trigger(room)

    def holds(self, room: str) -> int | None:
        """The room version this process's members hold, None for a room not followed."""
        sent = self._sent.get(room)
        return sent[1] if sent is not None else None

    def unfollow(self, room: str) -> None:
        """Stop sending ``room`` (its last local member left)."""
        self._sent.pop(room, None)
        self._ticker.forget(room)

    def changed(self, room: str) -> None:
        """A write here changed ``room``: members everywhere will have a batch within a tick."""
        self._untold.add(room)
        self._ticker.trigger(room)

    def changed_elsewhere(self, room: str) -> None:
        """Another process wrote to ``room``: our members will have a batch within a tick."""
        if room in self._sent:
            self._ticker.trigger(room)

    def resync(self) -> None:
        """Look for changes in every followed room: after a reconnect, and on each heartbeat,
        so a notice that was lost only delays a batch."""
        for room in list(self._sent):
            self._ticker.trigger(room)

    def following(self) -> int:
        return len(self._sent)

    def _flush(self, room: str) -> bool:
        """Tell other processes, then emit the room's changes since the last batch; False when
        there was nothing to do."""
        told = room in self._untold
        if told:
            self._untold.discard(room)
            self._tell_others(room)
        sent = self._sent.get(room)
        if sent is None:
            return told
        epoch, version = sent
        try:
            batch = self._store.changes_after(room, version)
            if batch.epoch != epoch:  # the store lost its history: start the chain again
                batch = self._store.changes_after(room, 0)
            elif batch.version <= version:
                return told
        except ChorusError as exc:
            log.warning("room %s: changes not sent yet (%s); retrying", room, exc.message,
                        extra={"room": room, "code": exc.code})
            self._ticker.trigger(room)
            return True
        if room not in self._sent:  # the last member left while the store was read
            return told
        self._sent[room] = (batch.epoch, batch.version)
        self._emit("changes", {"room": room, "epoch": batch.epoch, "from": batch.start,
                               "version": batch.version, "changes": batch.changes}, room)
        return True
