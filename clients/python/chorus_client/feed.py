"""Delivering applied changes: callbacks on one dispatcher thread, and blocking iterators.

Changes are handed over in the order the room applied them. Callbacks run one at a time on
the room's ``chorus-callbacks`` thread, never on a socket thread, so a callback may itself
write to the room (and wait for the ack) without stopping the changes from arriving.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from chorus_client.state import Change

log = logging.getLogger("chorus_client")
_END = object()


def _matches(wanted: str | None, key: str) -> bool:
    return wanted is None or wanted == "*" or wanted == key


class ChangeStream(Iterator[Change]):
    """A blocking iterator over changes from its creation on; ends at ``timeout`` or close."""

    def __init__(self, feed: Feed, key: str | None, timeout: float | None) -> None:
        self.feed = feed
        self.key = key
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.queue: queue.Queue[Any] = queue.Queue()
        self.ended = False  # the room closed

    def __iter__(self) -> ChangeStream:
        return self

    def __next__(self) -> Change:
        while not self.ended:
            left = None if self.deadline is None else self.deadline - time.monotonic()
            if left is not None and left <= 0:
                break
            change = self.get(left)
            if change is not None:
                return change
        self.close()
        raise StopIteration

    def get(self, timeout: float | None = None) -> Change | None:
        """The next change, or None when none came within ``timeout`` seconds or it ended:
        for a loop that has other work between changes (a GUI's event loop)."""
        if self.ended:
            return None
        try:
            item = self.queue.get(timeout=timeout)
        except queue.Empty:
            return None
        if item is _END:
            self.ended = True
            return None
        return item

    def close(self) -> None:
        """Stop receiving changes (also done when the iteration ends)."""
        self.feed.remove_stream(self)


class Feed:
    """Callbacks and streams of one room, fed by ``publish`` with each batch of applied changes."""

    def __init__(self, name: str) -> None:
        self.lock = threading.Lock()
        self.callbacks: list[tuple[str | None, Callable[[Change], Any]]] = []
        self.streams: list[ChangeStream] = []
        self.pending: queue.Queue[Any] = queue.Queue()
        self.thread = threading.Thread(target=self._dispatch, name=f"chorus-callbacks-{name}",
                                       daemon=True)
        self.thread.start()

    def on_change(self, key: str | None, fn: Callable[[Change], Any]) -> Callable[[], None]:
        """Call ``fn(change)`` for each change of ``key`` (None or "*": every key)."""
        entry = (key, fn)
        with self.lock:
            self.callbacks.append(entry)

        def unsubscribe() -> None:
            with self.lock:
                if entry in self.callbacks:
                    self.callbacks.remove(entry)
        return unsubscribe

    def stream(self, key: str | None, timeout: float | None) -> ChangeStream:
        stream = ChangeStream(self, key, timeout)
        with self.lock:
            self.streams.append(stream)
        return stream

    def remove_stream(self, stream: ChangeStream) -> None:
        with self.lock:
            if stream in self.streams:
                self.streams.remove(stream)

    def publish(self, changes: list[Change]) -> None:
        """Hand changes on; called with the room's lock held, so the order is the room's."""
        if not changes:
            return
        with self.lock:  # those subscribed now get these changes; later ones, later changes
            streams, callbacks = list(self.streams), list(self.callbacks)
        for stream in streams:
            for change in changes:
                if _matches(stream.key, change.key):
                    stream.queue.put(change)
        self.pending.put((changes, callbacks))

    def close(self) -> None:
        """End every stream and stop the dispatcher once the changes before are delivered."""
        with self.lock:
            streams, self.streams = self.streams, []
        for stream in streams:
            stream.queue.put(_END)
        self.pending.put(_END)
        if threading.current_thread() is not self.thread:
            self.thread.join(5)

    def _dispatch(self) -> None:
        while True:
            item = self.pending.get()
            if item is _END:
                return
            changes, callbacks = item
            for change in changes:
                for entry in callbacks:
                    key, fn = entry
                    with self.lock:
                        subscribed = entry in self.callbacks  # not unsubscribed meanwhile
                    if subscribed and _matches(key, change.key):
                        try:
                            fn(change)
                        except Exception:
                            log.exception("on_change callback for %r failed", change.key)
