"""Run a flush per key at most once per interval, without delaying a lone event.

The batching tick of ``changes`` and the coalescing of ``presence`` both follow this rule: the
first trigger after a quiet interval flushes at once, in the caller, so a single click costs no
extra latency; triggers that arrive within the interval are folded into one flush at its end.
A flush that had nothing to send (it returns False) does not count as one. A key is never
flushed by two greenlets at once, so batches of one room cannot interleave.

With ``min_interval`` the interval follows what a flush of the key costs: a key is flushed at
most once per ``cost_factor`` times its last flush's duration, but never more often than every
``min_interval`` and never less often than every ``interval``. Batching saves work in
proportion to a flush's cost and costs latency for everyone: a room of 100 whose batch takes
2 ms to send gets every change at once at 50 changes a second, while a room of 1,000 whose batch
takes 18 ms is still batched to the full interval at 100 a second (it would otherwise keep the
process busy sending). A burst still coalesces: its changes arrive far closer together than
``min_interval``.
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

    cost_factor = 2.5  # a key's flushes take at most 1 / cost_factor of the time (adaptive)

    def __init__(self, interval: float, flush: Callable[[Hashable], bool | None],
                 start_task: Callable, sleep: Callable[[float], None],
                 clock: Callable[[], float] = time.monotonic,
                 min_interval: float | None = None, cost_factor: float | None = None) -> None:
        self.interval = interval
        self.min_interval = min_interval
        if cost_factor is not None:
            self.cost_factor = cost_factor
        self._cost: dict[Hashable, float] = {}  # seconds the key's last flush took (adaptive)
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
            wait = previous + self.interval_of(key) - now
            if wait > 0:
                self._scheduled.add(key)
            else:
                self._last[key] = now
                self._running.add(key)
        if wait > 0:
            self._start_task(self._flush_later, key, wait)
        else:
            self._run(key, previous)

    def interval_of(self, key: Hashable) -> float:
        """The least time between two flushes of ``key``."""
        if self.min_interval is None:
            return self.interval
        cost = self._cost.get(key, 0.0) * self.cost_factor
        return min(self.interval, max(self.min_interval, cost))

    def forget(self, key: Hashable) -> None:
        """Drop what is remembered about ``key`` (its room emptied)."""
        with self._lock:
            self._last.pop(key, None)
            self._cost.pop(key, None)

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
        started = self._clock()
        try:
            sent = self._flush(key)
        except Exception:  # a failed flush must not kill the writer that triggered it
            log.exception("flush of %r failed", key)
        finally:
            with self._lock:
                if sent is not False and self.min_interval is not None:
                    self._cost[key] = self._clock() - started
                if sent is False and self._last.get(key) is not None:
                    self._last[key] = previous
                self._running.discard(key)
                again = key in self._again
                self._again.discard(key)
        if again:
            self.trigger(key)
