"""The board's rules as plain calls: the schema's paths, the per-process cache of definitions
(no store read per write within its window, dropped at once on a local change), and the
policy's answers for each mode."""

from __future__ import annotations

import pytest

from app.audience.board import CACHE_TTL, Boards
from app.audience.board_policy import BoardPolicy
from app.audience.board_schema import MAX_CONTROLS, parse_board
from app.audience.identity import DeviceIds
from app.audience.presenters import Presenters
from app.state.base import Write
from app.state.errors import ChorusError
from app.state.memory_hashes import MemoryHashes
from app.sync.policy import Writer


class CountingHashes(MemoryHashes):
    """Memory hashes that count reads of board definitions."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def hget(self, name: str, field: str) -> str | None:
        if name.startswith("board:"):
            self.reads += 1
        return super().hget(name, field)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def policy_for(hashes, clock=None) -> tuple[Boards, BoardPolicy]:
    boards = Boards(hashes, clock or Clock())
    return boards, BoardPolicy(boards, Presenters(hashes), DeviceIds("secret"))


def test_a_room_without_a_board_costs_one_read_per_window():
    hashes, clock = CountingHashes(), Clock()
    _boards, policy = policy_for(hashes, clock)
    write = Write("set", "r", "k", "c", value=1, value_json="1")
    for _ in range(100):
        assert policy.admit(write, Writer(False, "d")) is write
    assert hashes.reads == 1
    clock.now += CACHE_TTL + 0.1
    policy.admit(write, Writer(False, "d"))
    assert hashes.reads == 2


def test_a_saved_board_holds_at_once_here():
    boards, policy = policy_for(CountingHashes())
    write = Write("set", "r", "k", "c", value=1, value_json="1")
    assert policy.admit(write, Writer(False, "d")) is write  # cached: no board
    boards.save("r", {"controls": [{"key": "k", "kind": "counter", "mode": "presenter"}]},
                seed=False)
    with pytest.raises(ChorusError) as refused:
        policy.admit(write, Writer(False, "d"))
    assert refused.value.code == "forbidden"
    assert policy.admit(write, Writer(True, "d")) is write


@pytest.mark.parametrize(("document", "path"), [
    ({"controls": [{"key": "a", "kind": "slider", "step": 0}]}, "controls[0].step"),
    ({"controls": [{"key": "a", "kind": "toggle", "max_length": 3}]}, "controls[0].max_length"),
    ({"controls": [{"key": "a", "kind": "color", "start": "red"}]}, "controls[0].start"),
    ({"controls": [{"key": "a", "kind": "counter", "locked": "yes"}]}, "controls[0].locked"),
    ({"controls": [{"key": "a", "kind": "text", "mode": "average"}]}, "controls[0].mode"),
    ({"controls": [{"key": f"k{n}", "kind": "toggle"} for n in range(MAX_CONTROLS + 1)]},
     "controls"),
])
def test_the_schema_names_the_first_bad_field(document, path):
    with pytest.raises(ChorusError) as refused:
        parse_board(document)
    assert refused.value.extra["path"] == path


def test_an_averaged_value_is_the_mean_of_each_devices_latest():
    boards, policy = policy_for(MemoryHashes())
    boards.save("r", {"controls": [{"key": "m", "kind": "slider", "mode": "average"}]},
                seed=False)
    for device, value in (("a", 10), ("b", 20), ("a", 30)):
        admitted = policy.admit(Write("set", "r", "m", "c", value=value, value_json="0"),
                                Writer(False, device))
    assert admitted.value == {"mean": 25, "count": 2}
