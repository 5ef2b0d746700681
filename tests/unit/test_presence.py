"""Presence's counts: a join's answer is estimated from the room's last count (counting across
processes reads every member from Redis), and a wrong estimate is always followed by an
announcement of the exact count."""

from __future__ import annotations

from app.sync.coalescer import Coalescer
from app.sync.presence import Presence


class SharedCount:
    """A counter like SharedPresence: the union of every process's client ids."""

    def __init__(self) -> None:
        self.elsewhere: set[str] = set()  # client ids held by other processes
        self.here: set[str] = set()
        self.counts = 0  # how often the (expensive) count ran

    def arrive(self, room, client):
        self.here.add(client)

    def depart(self, room, client):
        self.here.discard(client)

    def count(self, room, local):
        self.counts += 1
        return len(self.here | self.elsewhere)

    def refresh(self, rooms):
        pass


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.tasks: list = []

    def start_task(self, fn, *args):
        self.tasks.append((fn, args))

    def sleep(self, seconds):
        self.now += seconds

    def run_tasks(self):
        while self.tasks:
            fn, args = self.tasks.pop(0)
            fn(*args)


def make(counter: SharedCount, clock: Clock):
    announced: list[int] = []

    def emit(event, payload, room):
        assert event == "presence"
        announced.append(payload["members"])

    def coalescer_for(interval, flush, min_interval=None, cost_factor=None):
        return Coalescer(interval, flush, clock.start_task, clock.sleep,
                         clock=lambda: clock.now, min_interval=min_interval,
                         cost_factor=cost_factor)

    return Presence(emit, coalescer_for, 0.5, counter=counter), announced


def test_joins_within_the_interval_are_answered_without_counting_again():
    counter, clock = SharedCount(), Clock()
    presence, announced = make(counter, clock)
    assert presence.add("r", "a", "s1") == 1
    counts = counter.counts
    assert [presence.add("r", f"c{i}", f"s{i + 2}") for i in range(3)] == [2, 3, 4]
    assert counter.counts == counts  # estimated from the last count plus the arrivals here
    clock.run_tasks()
    assert announced[-1] == 4


def test_a_wrong_estimate_is_corrected_by_an_announcement_even_if_the_count_did_not_move():
    """A client that reconnects here from a process that died is already in the shared count:
    its answer over-counts, and the next announcement must say the exact count, although the
    room was told that count before."""
    counter, clock = SharedCount(), Clock()
    counter.elsewhere = {"x", "y"}
    presence, announced = make(counter, clock)
    assert presence.add("r", "a", "s1") == 3
    clock.now += 1
    assert presence.add("r", "b", "s2") == 4  # a new client: the count moves, announced
    assert announced == [3, 4]
    assert presence.add("r", "x", "s3") == 5  # "x" moved here: the estimate over-counts
    clock.run_tasks()
    assert announced == [3, 4, 4]  # the exact count, sent again
