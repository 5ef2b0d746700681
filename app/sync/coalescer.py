"""Run a flush per key at most once per interval, without delaying a lone event.

The batching tick of ``changes`` and the coalescing of ``presence`` both follow this rule: the
first trigger after a quiet interval flushes at once, in the caller, so a single click costs no
extra latency; triggers that arrive within the interval are folded into one flush at its end.
A flush that had nothing to send (it returns False) does not count as one. A key is never
flushed by two greenlets at once, so batches of one room cannot interleave.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Hashable

log = logging.getLogger(__name__)


class Coalescer:
    """Calls ``flush(key)`` for each triggered key, at most once per ``interval`` seconds.

    ``start_task`` and ``sleep`` come from the Socket.IO server (greenlets under gevent, threads
    in unit tests), so this module never creates a greenlet itself.
    """

    def __init__(self, interval: float, flush: Callable[[Hashable], bool | None],
                 start_task: Callable, sleep: Callable[[float], None],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._flush = flush
        self._start_task = start_task
        self._sleep = sleep
        self._clock = clock
        self._last: dict[Hashable, float] = {}
        self._scheduled: set[Hashable] = set()
        self._running: set[Hashable] = set()
        self._again: set[Hashable] = set()
        self._lock = threading.Lock()

    def trigger(self, key: Hashable) -> None:
        """Ask for a flush of ``key``: now if the last one is older than an interval, else later."""
        with self._lock:
            if key in self._running:
                self._again.add(key)
                return
            if key in self._scheduled:
                return
            now = self._clock()
            previous = self._last.get(key, -math.inf)
            wait = previous + self.interval - now
            if wait > 0:
                self._scheduled.add(key)
            else:
                self._last[key] = now
                self._running.add(key)
        if wait > 0:
            self._start_task(self._flush_later, key, wait)
        else:
            self._run(key, previous)

    def forget(self, key: Hashable) -> None:
        """Drop what is remembered about ``key`` (its room emptied)."""
        with self._lock:
            self._last.pop(key, None)

    def _flush_later(self, key: Hashable, wait: float) -> None:
        self._sleep(wait)
        with self._lock:
            self._scheduled.discard(key)
            if key in self._running:
                self._again.add(key)
                return
            previous = self._last.get(key, -math.inf)
            self._last[key] = self._clock()
            self._running.add(key)
        self._run(key, previous)

    def _run(self, key: Hashable, previous: float) -> None:
        sent = None
        try:
            sent = self._flush(key)
        except Exception:  # a failed flush must not kill the writer that triggered it
            log.exception("flush of %r failed", key)
        finally:
            with self._lock:
                if sent is False and self._last.get(key) is not None:
                    self._last[key] = previous
                self._running.discard(key)
                again = key in self._again
                self._again.discard(key)
        if again:
            self.trigger(key)
