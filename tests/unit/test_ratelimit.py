"""The rate limit: a burst at once, then a steady rate, a wait that is exact, nothing kept for
keys that are quiet again."""

from __future__ import annotations

import pytest

from app.transport.ratelimit import RateLimit, RateLimited


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_rate_then_refill():
    clock = Clock()
    limit = RateLimit(rate=10, burst=5, clock=clock)
    assert [limit.wait_ms("a") for _ in range(5)] == [0] * 5
    assert limit.wait_ms("a") == 100  # one token every 100 ms
    assert limit.wait_ms("b") == 0  # keys are independent
    clock.now += 0.1
    assert limit.wait_ms("a") == 0
    assert limit.wait_ms("a") == 100
    clock.now += 0.5  # a whole burst again
    assert [limit.wait_ms("a") for _ in range(5)] == [0] * 5
    assert limit.wait_ms("a") > 0


def test_refusal_is_rate_limited_with_retry_after():
    limit = RateLimit(rate=2, burst=1, what="answers", clock=Clock())
    limit.take("k")
    with pytest.raises(RateLimited) as refused:
        limit.take("k")
    assert refused.value.code == "rate_limited" and "answers" in refused.value.message
    assert refused.value.retry_after_ms == 500


def test_quiet_keys_are_forgotten():
    clock = Clock()
    limit = RateLimit(rate=100, burst=10, clock=clock)
    for key in range(1000):
        limit.wait_ms(key)
    clock.now += 1.0
    limit.wait_ms("late")  # a take after the sweep interval sweeps
    assert len(limit._full_at) == 1
