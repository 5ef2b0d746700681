"""Token buckets: a burst allowance that refills at a steady rate, per key.

A refusal says how long to wait (``retry_after_ms``): ``RateLimited`` carries it, and the
namespaces turn it into the contract's ``rate_limited`` answer (app/namespaces/base.py); the
transport itself knows no contract. Buckets live in this process: a client is sticky to one
process, so its limit holds; the table forgets keys that have been full for a while, so it stays
small.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Hashable


class RateLimited(Exception):
    """A refusal by a rate limit: what was limited, and how long until one more is allowed."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after_ms: int) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after_ms = retry_after_ms


class RateLimit:
    """``burst`` actions at once, then ``rate`` per second, per key.

    Kept as one float per key (the generic cell rate algorithm, equivalent to a token bucket):
    the time at which the key's bucket would be full again. A key whose bucket is full needs no
    entry at all, so thousands of quiet connections cost nothing here.
    """

    def __init__(self, rate: float, burst: int, what: str = "requests",
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self.what = what
        self._interval = 1.0 / rate  # seconds one action adds
        self._tolerance = burst * self._interval  # how far ahead of now a bucket may run
        self._clock = clock
        self._full_at: dict[Hashable, float] = {}  # key -> when its bucket is full again
        self._lock = threading.Lock()
        self._swept = clock()

    def wait_ms(self, key: Hashable) -> int:
        """Take one token for ``key``: 0 when allowed, else milliseconds until one is free."""
        now = self._clock()
        with self._lock:
            full_at = max(self._full_at.get(key, now), now) + self._interval
            excess = full_at - now - self._tolerance
            if excess <= 1e-9:
                self._full_at[key] = full_at
                self._sweep(now)
                return 0
            return max(1, math.ceil(excess * 1000))

    def take(self, key: Hashable) -> None:
        """Take one token or raise RateLimited with ``retry_after_ms``."""
        wait = self.wait_ms(key)
        if wait:
            raise RateLimited(f"too many {self.what}: try again in {wait} ms", wait)

    def _sweep(self, now: float) -> None:
        """Forget keys whose buckets are full again, at most once per ``burst / rate``."""
        if now - self._swept < self._tolerance:
            return
        self._swept = now
        for key, full_at in list(self._full_at.items()):
            if full_at <= now:
                del self._full_at[key]


class ByteBudget:
    """One connection's bytes: ``burst`` at once, then ``rate`` a second, never refused.

    Where RateLimit answers "not now", this answers "how long to wait": the websocket reader
    (chorus_worker.py) charges each frame before reading its payload and sleeps that long, so a
    client sending faster than its budget is read more slowly, and TCP makes it wait, instead of
    taking the process's CPU from everyone else. The same cell rate algorithm as RateLimit:
    ``_full_at`` is when the bucket would be full again.
    """

    __slots__ = ("_rate", "_tolerance", "_full_at", "_clock", "_on_delay")

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic,
                 on_delay: Callable[[float], None] | None = None) -> None:
        self._rate = rate
        self._tolerance = burst / rate  # seconds of sending the bucket may run ahead of now
        self._clock = clock
        self._full_at = clock()
        self._on_delay = on_delay

    def charge(self, size: int) -> float:
        """Take ``size`` bytes: 0.0 when within the budget, else the seconds to wait first."""
        now = self._clock()
        self._full_at = max(self._full_at, now) + size / self._rate
        wait = self._full_at - now - self._tolerance
        if wait <= 1e-9:
            return 0.0
        if self._on_delay is not None:
            self._on_delay(wait)
        return wait
