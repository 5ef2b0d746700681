"""The Coalescer's timing rules, driven by a fake clock, a fake sleep and a fake start_task."""

from __future__ import annotations

import logging

import pytest

from app.sync.coalescer import Coalescer

INTERVAL = 1.0


class Harness:
    """A Coalescer whose time only moves when the test (or a fake sleep) moves it."""

    def __init__(self) -> None:
        self.now = 100.0
        self.tasks: list[tuple] = []  # (fn, args, time started) from start_task, not yet run
        self.task_started = 0.0
        self.sleeps: list[float] = []
        self.flushes: list[tuple] = []  # (key, time)
        self.results: list = []  # what successive flushes return; True once exhausted
        self.during_flush = None  # optional callable(key) run inside each flush
        self.depth = 0
        self.max_depth = 0
        self.coalescer = Coalescer(INTERVAL, self.flush, self.start_task, self.sleep,
                                   clock=lambda: self.now)

    def flush(self, key):
        self.depth += 1
        self.max_depth = max(self.max_depth, self.depth)
        try:
            self.flushes.append((key, self.now))
            if self.during_flush is not None:
                self.during_flush(key)
            return self.results.pop(0) if self.results else True
        finally:
            self.depth -= 1

    def start_task(self, fn, *args) -> None:
        self.tasks.append((fn, args, self.now))

    def sleep(self, seconds: float) -> None:
        """Wake ``seconds`` after the running task was started (time may have moved since)."""
        self.sleeps.append(seconds)
        self.now = max(self.now, self.task_started + seconds)

    def run_tasks(self) -> int:
        """Run the scheduled tasks (and any they schedule); return how many ran."""
        ran = 0
        while self.tasks:
            fn, args, self.task_started = self.tasks.pop(0)
            fn(*args)
            ran += 1
        return ran

    def trigger(self, key="room") -> None:
        self.coalescer.trigger(key)

    @property
    def flush_count(self) -> int:
        return len(self.flushes)


@pytest.fixture
def h() -> Harness:
    return Harness()


def test_first_trigger_flushes_at_once_in_the_caller(h):
    """A lone trigger flushes synchronously, scheduling and sleeping nothing."""
    h.trigger("a")
    assert h.flushes == [("a", 100.0)]
    assert h.tasks == [] and h.sleeps == []


def test_triggers_within_the_interval_fold_into_one_later_flush(h):
    """A trigger inside the interval schedules one flush at its end; further ones add none."""
    h.trigger()
    h.now += 0.3
    h.trigger()
    assert h.flush_count == 1
    assert len(h.tasks) == 1
    _, args, _ = h.tasks[0]
    assert args[0] == "room" and args[1] == pytest.approx(0.7)
    h.now += 0.2
    h.trigger()
    h.trigger()
    assert len(h.tasks) == 1 and h.flush_count == 1
    assert h.run_tasks() == 1
    assert h.sleeps == [pytest.approx(0.7)]
    assert h.flushes == [("room", 100.0), ("room", pytest.approx(101.0))]
    assert h.tasks == []


def test_a_trigger_right_after_a_scheduled_flush_waits_again(h):
    """The scheduled flush counts as the last one: a trigger just after it is scheduled too."""
    h.trigger()
    h.now += 0.5
    h.trigger()
    h.run_tasks()
    h.now += 0.1
    h.trigger()
    assert h.flush_count == 2
    assert len(h.tasks) == 1 and h.tasks[0][1][1] == pytest.approx(0.9)


def test_after_the_interval_a_trigger_flushes_at_once_again(h):
    """Once a full interval has passed since the last flush, the next trigger flushes at once."""
    h.trigger()
    h.now += INTERVAL
    h.trigger()
    assert h.flushes == [("room", 100.0), ("room", 101.0)]
    assert h.tasks == []
    h.now += INTERVAL - 0.001
    h.trigger()
    assert h.flush_count == 2 and len(h.tasks) == 1


def test_keys_are_independent(h):
    """Each key has its own interval: triggering another key flushes it at once."""
    h.trigger("a")
    h.trigger("b")
    h.now += 0.1
    h.trigger("a")
    assert h.flushes == [("a", 100.0), ("b", 100.0)]
    assert [args[0] for _, args, _ in h.tasks] == ["a"]


def test_a_flush_that_sent_nothing_does_not_count(h):
    """A flush returning False leaves the key free: the next trigger flushes at once."""
    h.results = [False]
    h.trigger()
    h.now += 0.1
    h.trigger()
    assert h.flush_count == 2 and h.tasks == []
    h.now += 0.1
    h.trigger()  # the second flush returned True, so this one waits
    assert h.flush_count == 2 and len(h.tasks) == 1


def test_a_scheduled_flush_that_sent_nothing_does_not_count(h):
    """A scheduled flush returning False restores the previous flush time."""
    h.trigger()
    h.now += 0.5
    h.trigger()
    h.results = [False]
    h.run_tasks()  # flushes at 101.0, sends nothing
    h.now += 0.1
    h.trigger()
    assert h.flush_count == 3 and h.tasks == []


def test_a_trigger_during_a_flush_gives_exactly_one_more_flush(h):
    """Triggers during a running flush never nest; they cause one more flush after it."""
    def retrigger(key):
        if h.flush_count == 1:
            h.trigger(key)
            h.trigger(key)
            assert h.flush_count == 1  # not flushed from inside the flush

    h.during_flush = retrigger
    h.trigger()
    assert h.flush_count == 1 and len(h.tasks) == 1
    assert h.run_tasks() == 1
    assert h.flush_count == 2 and h.max_depth == 1
    assert h.tasks == []


def test_a_trigger_during_a_long_flush_flushes_right_after_it(h):
    """When the flush outlasted the interval, the follow-up flush runs at once, not nested."""
    def slow(key):
        if h.flush_count == 1:
            h.now += 2 * INTERVAL
            h.trigger(key)

    h.during_flush = slow
    h.trigger()
    assert h.flushes == [("room", 100.0), ("room", 102.0)]
    assert h.max_depth == 1 and h.tasks == []


def test_a_trigger_during_a_scheduled_flush_gives_one_more(h):
    """A trigger while a scheduled flush runs is folded into exactly one further flush."""
    h.trigger()
    h.now += 0.5
    h.trigger()
    h.during_flush = lambda key: h.trigger(key) if h.flush_count == 2 else None
    assert h.run_tasks() == 2
    assert h.flush_count == 3 and h.max_depth == 1


def test_a_failing_flush_is_logged_and_not_raised(h, caplog):
    """An exception in flush is logged with its traceback; the trigger returns normally."""
    def boom(key):
        raise RuntimeError("broken pipe")

    h.during_flush = boom
    with caplog.at_level(logging.ERROR, logger="app.sync.coalescer"):
        h.trigger("r1")
    failures = [r for r in caplog.records if r.name == "app.sync.coalescer"]
    assert len(failures) == 1
    assert failures[0].levelno == logging.ERROR and "'r1'" in failures[0].getMessage()
    assert failures[0].exc_info and failures[0].exc_info[0] is RuntimeError


def test_a_failed_flush_does_not_leave_the_key_stuck(h, caplog):
    """After a flush raised, later triggers still flush the key."""
    h.during_flush = lambda key: (_ for _ in ()).throw(RuntimeError("once"))
    with caplog.at_level(logging.CRITICAL, logger="app.sync.coalescer"):
        h.trigger()
    h.during_flush = None
    h.now += INTERVAL
    h.trigger()
    assert h.flush_count == 2


def test_forget_resets_the_interval(h):
    """After forget(key), the next trigger flushes at once even inside the interval."""
    h.trigger()
    h.now += 0.1
    h.coalescer.forget("room")
    h.trigger()
    assert h.flush_count == 2 and h.tasks == []
    h.coalescer.forget("never-seen")  # forgetting an unknown key is harmless


@pytest.fixture
def adaptive() -> Harness:
    """A Coalescer whose interval follows its flushes' cost, between 0.1 and 1 second."""
    harness = Harness()
    harness.coalescer = Coalescer(INTERVAL, harness.flush, harness.start_task, harness.sleep,
                                  clock=lambda: harness.now, min_interval=INTERVAL / 10)
    return harness


def test_adaptive_a_cheap_key_is_flushed_at_the_minimum_interval(adaptive):
    """A flush that takes no time leaves the interval at its floor: a trigger a floor later
    flushes at once, one sooner waits for the floor only."""
    h = adaptive
    h.trigger()
    h.now += INTERVAL / 10
    h.trigger()
    assert h.flush_count == 2 and h.tasks == []
    h.now += INTERVAL / 20
    h.trigger()
    assert h.flush_count == 2
    assert h.tasks[0][1][1] == pytest.approx(INTERVAL / 20)


def test_adaptive_the_interval_grows_with_the_cost_of_a_flush_up_to_its_maximum(adaptive):
    """A flush taking 0.2 s spaces flushes by cost_factor x 0.2 s; one taking 0.6 s by the full
    interval, never more."""
    h = adaptive
    cost = {"value": 0.2}

    def slow(key):
        h.now += cost["value"]

    h.during_flush = slow
    h.trigger()  # flushes at 100.0, ends at 100.2
    assert h.coalescer.interval_of("room") == pytest.approx(0.2 * Coalescer.cost_factor)
    h.trigger()  # inside the interval: waits until 100.0 + 0.5
    assert h.tasks[0][1][1] == pytest.approx(0.2 * Coalescer.cost_factor - 0.2)
    h.run_tasks()
    cost["value"] = 0.6
    h.now += 2
    h.trigger()
    assert h.coalescer.interval_of("room") == pytest.approx(INTERVAL)
    h.coalescer.forget("room")
    assert h.coalescer.interval_of("room") == pytest.approx(INTERVAL / 10)


def test_a_fixed_coalescer_ignores_the_cost_of_its_flushes(h):
    """Without min_interval (presence, audience feeds) the interval is the interval."""
    h.during_flush = lambda key: setattr(h, "now", h.now + 0.01)
    h.trigger()
    assert h.coalescer.interval_of("room") == INTERVAL
