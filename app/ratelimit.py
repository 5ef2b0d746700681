"""Token buckets: a burst allowance that refills at a steady rate, per key.

A refusal says how long to wait (``retry_after_ms``), which goes straight into the contract's
``rate_limited`` answer. Buckets live in this process: a client is sticky to one process, so its
limit holds; the table forgets keys that have been full for a while, so it stays small.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Hashable

from app.errors import RATE_LIMITED, ChorusError


class RateLimit:
    """``burst`` actions at once, then ``rate`` per second, per key."""

    def __init__(self, rate: float, burst: int, what: str = "requests",
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self.what = what
        self._clock = clock
        self._buckets: dict[Hashable, tuple[float, float]] = {}  # key -> (tokens, at)
        self._lock = threading.Lock()
        self._swept = clock()

    def wait_ms(self, key: Hashable) -> int:
        """Take one token for ``key``: 0 when allowed, else milliseconds until one is free."""
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                self._sweep(now)
                return 0
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((1 - tokens) / self.rate * 1000))

    def take(self, key: Hashable) -> None:
        """Take one token or raise ``rate_limited`` with ``retry_after_ms``."""
        wait = self.wait_ms(key)
        if wait:
            raise ChorusError(RATE_LIMITED, f"too many {self.what}: try again in {wait} ms",
                              retry_after_ms=wait)

    def _sweep(self, now: float) -> None:
        full_after = self.burst / self.rate
        if now - self._swept < full_after:
            return
        self._swept = now
        for key, (_, at) in list(self._buckets.items()):
            if now - at > full_after:
                del self._buckets[key]
