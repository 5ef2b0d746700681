"""The client's bookkeeping by the contract's rules, as plain function calls (no server)."""

from __future__ import annotations

from chorus_client.state import Change, RoomState


def joined(values=None, version=3, epoch="E1") -> RoomState:
    state = RoomState("r")
    state.apply_join({"ok": True, "room": "r", "epoch": epoch, "version": version,
                      "values": values or {"a": {"value": 1, "version": 2},
                                           "b": {"value": "x", "version": 1}}})
    return state


def batch(start: int, end: int, *changes: dict, epoch: str = "E1") -> dict:
    return {"room": "r", "epoch": epoch, "from": start, "version": end, "changes": list(changes)}


def test_first_join_reports_every_value_and_then_joins_with_since():
    state = RoomState("r")
    assert state.join_payload() == {"room": "r"}
    applied = state.apply_join({"ok": True, "room": "r", "epoch": "E1", "version": 3,
                                "values": {"a": {"value": 1, "version": 2}}})
    assert applied == [Change("r", "a", 1, 2)]
    assert state.join_payload() == {"room": "r", "since": 3, "epoch": "E1"}


def test_a_batch_ahead_of_the_held_version_is_a_gap_and_changes_nothing():
    state = joined()
    assert state.apply_batch(batch(4, 5, {"key": "a", "value": 9, "version": 4})) == ("gap", [])
    assert state.values["a"] == 1 and state.version == 3


def test_a_batch_applies_only_what_is_newer_and_moves_the_room_version():
    state = joined()
    status, applied = state.apply_batch(batch(
        2, 5, {"key": "a", "value": 1, "version": 2},  # already held: not reported again
        {"key": "b", "value": None, "version": 2, "deleted": True}))
    assert status == "ok"
    assert applied == [Change("r", "b", None, 2, True)]
    assert state.values == {"a": 1} and state.version == 5 and state.versions["b"] == 2


def test_another_epoch_in_a_batch_asks_for_a_rejoin():
    assert joined().apply_batch(batch(3, 4, epoch="E2")) == ("epoch", [])


def test_a_snapshot_in_a_new_epoch_replaces_everything_and_reports_the_differences():
    state = joined()
    applied = state.apply_join({"ok": True, "room": "r", "epoch": "E2", "version": 1,
                                "values": {"b": {"value": "x", "version": 1},
                                           "c": {"value": True, "version": 1}}})
    assert applied == [Change("r", "a", None, 2, True), Change("r", "c", True, 1)]
    assert state.values == {"b": "x", "c": True} and state.version == 1 and state.epoch == "E2"


def test_a_catch_up_applies_its_changes_on_top():
    state = joined()
    applied = state.apply_join({"ok": True, "room": "r", "epoch": "E1", "version": 6,
                                "changes": [{"key": "a", "value": 5, "version": 3,
                                             "deleted": False}]})
    assert applied == [Change("r", "a", 5, 3)]
    assert state.values == {"a": 5, "b": "x"} and state.version == 6


def test_a_writes_own_ack_is_applied_once():
    state = joined()
    assert state.apply_write("a", 7, 3, False) == [Change("r", "a", 7, 3)]
    assert state.apply_batch(batch(3, 4, {"key": "a", "value": 7, "version": 3})) == ("ok", [])
