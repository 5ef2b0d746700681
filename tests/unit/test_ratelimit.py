"""The rate limit: a burst at once, then a steady rate, a wait that is exact, nothing kept for
keys that are quiet again. The byte budget: the same, answered as a wait instead of a refusal."""

from __future__ import annotations

import pytest

from app.transport.ratelimit import ByteBudget, RateLimit, RateLimited
from app.transport.traffic import Traffic


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


def test_byte_budget_waits_instead_of_refusing():
    clock = Clock()
    delays: list[float] = []
    budget = ByteBudget(rate=1000, burst=3000, clock=clock, on_delay=delays.append)
    assert [budget.charge(1000) for _ in range(3)] == [0.0] * 3  # the burst, at once
    assert budget.charge(1000) == pytest.approx(1.0)  # one second's worth past it
    assert budget.charge(500) == pytest.approx(1.5)  # charged even while waiting: debt grows
    assert delays == pytest.approx([1.0, 1.5])
    clock.now += 1.5  # the reader slept as told: the next bytes wait for their own share only
    assert budget.charge(1000) == pytest.approx(1.0)
    clock.now += 10  # quiet: the whole burst again
    assert budget.charge(3000) == 0.0


def test_byte_budget_allows_a_frame_larger_than_the_burst_after_a_wait():
    budget = ByteBudget(rate=1000, burst=100, clock=Clock())
    assert budget.charge(1100) == pytest.approx(1.0)


def test_traffic_makes_one_byte_budget_per_connection_or_none():
    traffic = Traffic(10, 10, byte_rate=1000, byte_burst=1000)
    first, second = traffic.byte_budget(), traffic.byte_budget()
    assert first is not second
    assert first.charge(1000) == 0.0 and second.charge(1000) == 0.0
    assert Traffic(10, 10, byte_rate=0).byte_budget() is None
