"""Readers of a room that are not Socket.IO members: the Server-Sent Events stream's readers.

A reader holds only its place in the room's history, ``(epoch, version)``, and at most one
event waiting to be written. The broadcaster's batches (the same ones the room's members get,
built once per tick) are offered to every reader: one that is waiting and whose place the
batch continues takes it as it is; one that is still writing an earlier event, or whose place
the batch does not continue, is marked *behind* and, when it next wakes, reads what it missed
from the store in one answer (the ``since`` rules: changes while the store can still say them,
else the full values). So a reader whose client stopped reading never holds more than one
event, however much the room changes, and it is dropped like a slow websocket client: when the
batches it missed while one write stayed blocked add up to ``max_backlog`` bytes, or that write
stays blocked for ``stall_timeout`` seconds.

Nothing here knows HTTP: the web layer (app/web/events.py) turns readers into a response.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from app.state.errors import UNAVAILABLE, ChorusError

log = logging.getLogger(__name__)

HEARTBEAT = None  # what ``Reader.next_event`` returns when nothing happened for a while


def event_text(kind: str, body: dict[str, Any]) -> str:
    """One SSE event: its name, its id ``<epoch>:<version>`` (what Last-Event-ID sends back)
    and its JSON body on one data line."""
    data = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    return f"event: {kind}\nid: {body['epoch']}:{body['version']}\ndata: {data}\n\n"


def state_event(room: str, state: dict[str, Any], since: int | None) -> str:
    """The first event of a stream, from a store's join state: ``changes`` after ``since``
    when the store could still say them, else a ``snapshot`` of every value."""
    if "changes" in state:
        return event_text("changes", {"room": room, "epoch": state["epoch"], "from": since,
                                      "version": state["version"],
                                      "changes": state["changes"]})
    return event_text("snapshot", {"room": room, "epoch": state["epoch"],
                                   "version": state["version"], "values": state["values"]})


class Reader:
    """One open stream of one room."""

    __slots__ = ("room", "epoch", "version", "_event", "_ready", "behind", "writing_since",
                 "missed_bytes", "dropped", "_abort")

    def __init__(self, room: str, abort: Callable[[], None]) -> None:
        self.room = room
        self.epoch: str | None = None
        self.version = 0
        self._event: str | None = None  # the next event to write, already encoded
        self._ready = threading.Event()
        self.behind = False  # missed batches: read the store before the next event
        self.writing_since: float | None = None  # monotonic time the current write began
        self.missed_bytes = 0
        self.dropped = False
        self._abort = abort  # ends the HTTP connection under a blocked write

    def place(self, epoch: str, version: int) -> None:
        self.epoch, self.version = epoch, version

    def offer(self, batch: dict[str, Any], text: str, max_backlog: int) -> None:
        """A batch of the room's changes, as its members get it."""
        if self.dropped:
            return
        if batch["epoch"] == self.epoch and batch["version"] <= self.version:
            return  # already held (it raced the reader's first read)
        if (self.writing_since is None and self._event is None and not self.behind
                and batch["epoch"] == self.epoch and batch["from"] == self.version):
            self._event = text
            self.epoch, self.version = batch["epoch"], batch["version"]
        else:
            self.behind = True
            self._event = None
            if self.writing_since is not None:
                self.missed_bytes += len(text)
                if self.missed_bytes > max_backlog:
                    self.drop("missed more than the backlog allows while a write was blocked")
                    return
        self._ready.set()

    def next_event(self, timeout: float, catch_up: Callable[[Reader], str | None]) -> str | None:
        """Wait for the next event; ``HEARTBEAT`` after ``timeout`` seconds of nothing."""
        while True:
            if self.dropped:
                raise ConnectionAbortedError("reader dropped")
            if self.behind:
                self.behind = False
                self._event = None
                text = catch_up(self)
                if text is not None:
                    return text
            elif self._event is not None:
                text, self._event = self._event, None
                return text
            self._ready.clear()
            if self.behind or self._event is not None or self.dropped:
                continue
            if not self._ready.wait(timeout):
                return HEARTBEAT

    def writing(self) -> None:
        self.writing_since = time.monotonic()
        self.missed_bytes = 0

    def written(self) -> None:
        self.writing_since = None

    def stalled_for(self, now: float) -> float:
        return 0.0 if self.writing_since is None else now - self.writing_since

    def drop(self, why: str) -> None:
        if self.dropped:
            return
        self.dropped = True
        log.info("stream of room %s dropped: %s", self.room, why, extra={"room": self.room})
        self._ready.set()
        try:
            self._abort()
        except OSError:
            pass


class Streams:
    """Every open reader of this process, by room; their batches, cap and slow-reader rule."""

    def __init__(self, max_streams: int, max_backlog: int, stall_timeout: float,
                 start_task: Callable, sleep: Callable[[float], None],
                 on_drop: Callable[[], None] = lambda: None) -> None:
        self.max_streams = max_streams
        self.max_backlog = max_backlog
        self.stall_timeout = stall_timeout
        self._start_task = start_task
        self._sleep = sleep
        self._on_drop = on_drop
        self._rooms: dict[str, set[Reader]] = {}
        self._open = 0
        self._closing = False
        self._keeper_running = False
        self._lock = threading.Lock()

    def open(self, room: str, abort: Callable[[], None]) -> Reader:
        """Register a reader of ``room`` before its first read, so no batch falls between the
        read and the registration; ChorusError(unavailable) past the cap or while closing."""
        with self._lock:
            if self._closing:
                raise ChorusError(UNAVAILABLE, "the server is restarting; reconnect shortly")
            if self._open >= self.max_streams:
                raise ChorusError(UNAVAILABLE, f"this server holds its most open streams "
                                  f"({self.max_streams}, CHORUS_MAX_STREAMS); retry later or "
                                  "on another instance")
            reader = Reader(room, abort)
            self._rooms.setdefault(room, set()).add(reader)
            self._open += 1
            start_keeper = not self._keeper_running
            self._keeper_running = True
        if start_keeper:
            self._start_task(self._keep)
        return reader

    def close(self, reader: Reader) -> bool:
        """Forget a reader; True when it was the room's last."""
        with self._lock:
            readers = self._rooms.get(reader.room)
            if readers is None or reader not in readers:
                return False
            readers.discard(reader)
            self._open -= 1
            if readers:
                return False
            del self._rooms[reader.room]
            return True

    def watched(self, room: str) -> bool:
        return room in self._rooms

    def watched_rooms(self) -> list[str]:
        """Rooms with an open stream here (connections, for the expiry of idle rooms)."""
        with self._lock:
            return list(self._rooms)

    def count(self) -> int:
        return self._open

    def publish(self, room: str, batch: dict[str, Any]) -> None:
        """Offer one ``changes`` batch to the room's readers, encoded once for all of them."""
        readers = self._rooms.get(room)
        if not readers:
            return
        text = event_text("changes", batch)
        for reader in list(readers):
            was_dropped = reader.dropped
            reader.offer(batch, text, self.max_backlog)
            if reader.dropped and not was_dropped:
                self._on_drop()

    def close_all(self) -> int:
        """Refuse new readers and end every open one (a graceful stop: clients reconnect with
        their Last-Event-ID elsewhere or after the restart)."""
        with self._lock:
            self._closing = True
            readers = [r for rs in self._rooms.values() for r in rs]
        for reader in readers:
            reader.drop("the server is stopping")
        return len(readers)

    def _keep(self) -> None:
        """Once a second while readers are open: drop those whose write stays blocked."""
        while True:
            self._sleep(1.0)
            with self._lock:
                if not self._open:
                    self._keeper_running = False
                    return
                readers = [r for rs in self._rooms.values() for r in rs]
            now = time.monotonic()
            for reader in readers:
                if not reader.dropped and reader.stalled_for(now) > self.stall_timeout:
                    reader.drop(f"one write blocked for more than {self.stall_timeout:g} s")
                    self._on_drop()
