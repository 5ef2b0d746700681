"""The store rules of the contract, one suite run against the memory, SQLite and Redis backends.

The Redis backend runs against a real redis-server started once for the module and emptied
before each test, in cluster mode (one node holding every slot): a script whose keys do not
share a slot fails here as on Redis Cluster.
"""

from __future__ import annotations

import sqlite3
from unittest.mock import ANY

import pytest

import app.state.memory_store
import app.state.redis_store
import app.state.sqlite_store
import app.state.writes
from app.state import Applied, Batch, Limits, open_store
from app.state.errors import ChorusError
from app.state.memory_store import MemoryStore
from app.state.redis_store import RedisStore
from app.state.sqlite_store import SqliteStore
from app.sync.payloads import parse_join, parse_write
from tests.support import RedisServer


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis")).as_cluster_node()
    yield server
    server.stop()


@pytest.fixture(params=["memory", "sqlite", "redis"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def make_store(backend, tmp_path, request):
    """Open stores of the current backend; through open_store's URL unless a clock is given."""
    made = []
    redis_url = None
    if backend == "redis":
        redis_url = request.getfixturevalue("redis_server").url
        import redis

        redis.Redis.from_url(redis_url).flushall()

    def make(limits: Limits | None = None, clock=None):
        path = tmp_path / "s.db"
        if clock is not None and backend != "redis":
            store = (MemoryStore(limits, clock=clock) if backend == "memory"
                     else SqliteStore(str(path), limits, clock=clock))
        else:
            url = {"memory": "memory://", "sqlite": f"sqlite:///{path}",
                   "redis": redis_url}[backend]
            store = open_store(url, limits)
        made.append(store)
        return store

    yield make
    for store in made:
        store.close()


@pytest.fixture
def store(make_store):
    return make_store()


def w(kind: str, key: str = "k", room: str = "r", client: str = "c1", **fields):
    """A validated Write record, built the way the namespace builds it."""
    return parse_write(kind, {"room": room, "key": key, **fields}, client)


def put(store, key="k", value=None, **fields) -> Applied:
    return store.apply(w("set", key, value=value, **fields))


def incr(store, key="k", by=1, **fields) -> Applied:
    return store.apply(w("incr", key, by=by, **fields))


def delete(store, key="k", **fields) -> Applied:
    return store.apply(w("delete", key, **fields))


def values(store, room="r") -> dict:
    return store.join_state(room)["values"]


def room_version(store, room="r") -> int:
    return store.join_state(room)["version"]


def conflict_ack(value, version) -> dict:
    return {"ok": False, "error": {"code": "conflict", "message": ANY},
            "current": {"value": value, "version": version}}


# --- opening -----------------------------------------------------------------------------------

def test_open_store_picks_the_backend_from_the_url(store, backend):
    """memory:// opens a MemoryStore, sqlite:///path a SqliteStore, redis:// a RedisStore."""
    expected = {"memory": MemoryStore, "sqlite": SqliteStore, "redis": RedisStore}[backend]
    assert isinstance(store, expected)


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///", "ftp://x", "chorus.db"])
def test_open_store_refuses_bad_urls(url):
    """A SQLite URL without a path, or an unknown scheme, is a ValueError naming the URL."""
    with pytest.raises(ValueError, match="sqlite:///"):
        open_store(url)


def test_epoch_is_a_string_a_client_can_send_back(store):
    """The epoch is a non-empty string that parse_join accepts, stable for the store's life."""
    assert isinstance(store.epoch, str) and store.epoch
    assert parse_join({"room": "r", "epoch": store.epoch}).epoch == store.epoch
    put(store, value=1)
    assert store.join_state("r")["epoch"] == store.epoch


def test_check_passes_on_an_open_store(store):
    """check() returns quietly while the store is reachable."""
    assert store.check() is None


# --- versions ----------------------------------------------------------------------------------

def test_versions_count_changes_per_key_and_per_room(store):
    """A key's version goes up by one per change of it; the room's by one per change in it."""
    assert put(store, "a", "x") == Applied({"ok": True, "version": 1}, 1)
    assert put(store, "a", "y") == Applied({"ok": True, "version": 2}, 2)
    assert put(store, "b", [1]) == Applied({"ok": True, "version": 1}, 3)
    assert incr(store, "c", 2) == Applied({"ok": True, "value": 2, "version": 1}, 4)
    assert put(store, "a", {"z": None}) == Applied({"ok": True, "version": 3}, 5)
    assert store.join_state("r") == {
        "epoch": store.epoch, "version": 5,
        "values": {"a": {"value": {"z": None}, "version": 3},
                   "b": {"value": [1], "version": 1},
                   "c": {"value": 2, "version": 1}}}


def test_rooms_have_separate_versions(store):
    """A write in one room leaves another room's version and values alone."""
    put(store, "a", 1, room="one")
    put(store, "a", 2, room="one")
    assert put(store, "a", 3, room="two") == Applied({"ok": True, "version": 1}, 1)
    assert store.join_state("one")["version"] == 2
    assert values(store, "one") == {"a": {"value": 2, "version": 2}}
    assert values(store, "two") == {"a": {"value": 3, "version": 1}}


def test_unknown_room_is_empty_at_version_zero(store):
    """Joining a room never written gives version 0 and no values."""
    assert store.join_state("nothing") == {"epoch": store.epoch, "version": 0, "values": {}}


def test_missing_key_has_version_zero(store):
    """A conflict on a missing key reports version 0 and a null value."""
    put(store, "other", 1)
    applied = put(store, "k", 1, expect=3)
    assert applied == Applied(conflict_ack(None, 0), None)


# --- expect ------------------------------------------------------------------------------------

def test_set_with_matching_expect_applies(store):
    """set with expect equal to the key's version applies."""
    put(store, value="a")
    assert put(store, value="b", expect=1) == Applied({"ok": True, "version": 2}, 2)
    assert values(store) == {"k": {"value": "b", "version": 2}}


def test_set_with_stale_expect_returns_a_conflict(store):
    """A mismatched expect is a conflict ack (returned, not raised) with the current value."""
    put(store, value={"n": 1})
    put(store, value={"n": 2})
    applied = put(store, value="late", expect=1)
    assert applied == Applied(conflict_ack({"n": 2}, 2), None)
    assert store.join_state("r")["version"] == 2
    assert values(store) == {"k": {"value": {"n": 2}, "version": 2}}


def test_expect_zero_means_only_if_absent(store):
    """expect 0 creates an absent key, and conflicts once the key exists."""
    assert put(store, value=1, expect=0) == Applied({"ok": True, "version": 1}, 1)
    assert put(store, value=2, expect=0) == Applied(conflict_ack(1, 1), None)


# --- deletion ----------------------------------------------------------------------------------

def test_deleted_key_keeps_its_version(store):
    """Delete bumps the key's version; re-creating it continues from there."""
    put(store, value=1)
    put(store, value=2)
    assert delete(store) == Applied({"ok": True, "version": 3}, 3)
    assert values(store) == {}
    assert put(store, value=9) == Applied({"ok": True, "version": 4}, 4)
    assert values(store) == {"k": {"value": 9, "version": 4}}


def test_incr_after_delete_starts_from_zero_and_continues_the_version(store):
    """incr on a deleted key counts from 0, at the deleted version + 1."""
    incr(store, by=5)
    delete(store)
    assert incr(store, by=2) == Applied({"ok": True, "value": 2, "version": 3}, 3)


def test_expect_is_compared_with_the_deleted_keys_version(store):
    """After a delete, expect 0 conflicts (version kept) and expect=deleted version applies."""
    put(store, value="a")
    delete(store)
    assert put(store, value="b", expect=0) == Applied(conflict_ack(None, 2), None)
    assert put(store, value="b", expect=2) == Applied({"ok": True, "version": 3}, 3)


def test_delete_of_an_absent_key_is_ok_at_version_zero(store):
    """Deleting what is not there answers ok at version 0 and changes nothing."""
    assert delete(store, "ghost") == Applied({"ok": True, "version": 0}, None)
    put(store, "a", 1)
    assert delete(store, "ghost") == Applied({"ok": True, "version": 0}, None)
    assert room_version(store) == 1


def test_delete_of_a_deleted_key_changes_nothing(store):
    """A second delete is ok at the key's version, with no new room version."""
    put(store, value=1)
    delete(store)
    assert delete(store) == Applied({"ok": True, "version": 2}, None)
    assert room_version(store) == 2


# --- incr --------------------------------------------------------------------------------------

def test_incr_from_missing_and_on_floats(store):
    """incr starts a missing key at 0 and adds to ints and floats alike."""
    assert incr(store, "n", 3) == Applied({"ok": True, "value": 3, "version": 1}, 1)
    assert incr(store, "n", -5) == Applied({"ok": True, "value": -2, "version": 2}, 2)
    put(store, "f", 1.5)
    assert incr(store, "f", 1).ack == {"ok": True, "value": 2.5, "version": 2}
    assert incr(store, "h", 0.25).ack == {"ok": True, "value": 0.25, "version": 1}
    assert values(store)["f"] == {"value": 2.5, "version": 2}


@pytest.mark.parametrize("value", ["3", [1], {"n": 1}, None, True, False])
def test_incr_on_a_non_number_is_bad_request(store, value):
    """incr on a string, list, object, null or boolean raises bad_request, changing nothing."""
    put(store, value=value)
    with pytest.raises(ChorusError) as refused:
        incr(store)
    assert refused.value.code == "bad_request"
    assert values(store) == {"k": {"value": value, "version": 1}}
    assert room_version(store) == 1


@pytest.mark.parametrize("start,by", [(2**53 - 1, 1), (-(2**53 - 1), -1), (2**53 - 10, 1e9)])
def test_incr_beyond_exact_integers_is_bad_request(store, start, by):
    """A total past +-(2**53 - 1) is refused and the value stays."""
    put(store, value=start)
    with pytest.raises(ChorusError) as refused:
        incr(store, by=by)
    assert refused.value.code == "bad_request"
    assert values(store) == {"k": {"value": start, "version": 1}}


def test_incr_up_to_the_largest_exact_integer_is_fine(store):
    """A total of exactly 2**53 - 1 is still accepted."""
    put(store, value=2**53 - 2)
    assert incr(store).ack == {"ok": True, "value": 2**53 - 1, "version": 2}


# --- key limit ---------------------------------------------------------------------------------

def fill(store, count: int, room: str = "r") -> None:
    for i in range(count):
        put(store, f"k{i}", i, room=room)


def test_the_257th_live_key_is_too_large(store):
    """256 live keys fit; creating a 257th (by set or incr) is too_large and changes nothing."""
    fill(store, 256)
    for write in (w("set", "extra", value=1), w("incr", "extra", by=1)):
        with pytest.raises(ChorusError) as refused:
            store.apply(write)
        assert refused.value.code == "too_large"
    assert room_version(store) == 256
    assert len(values(store)) == 256


def test_a_full_room_still_takes_rewrites_and_frees_slots_on_delete(store):
    """Rewriting a live key works in a full room; a delete frees one slot for a new key."""
    fill(store, 256)
    assert put(store, "k0", "again").ack == {"ok": True, "version": 2}
    assert incr(store, "k1").ack == {"ok": True, "value": 2, "version": 2}
    delete(store, "k2")
    assert put(store, "new", 1).ack == {"ok": True, "version": 1}
    with pytest.raises(ChorusError) as refused:
        put(store, "k2", "back")  # re-creating the deleted key would be the 257th live one
    assert refused.value.code == "too_large"


def test_too_many_rooms_is_too_large(make_store):
    """With max_rooms=2, the first write to a third room is too_large; the first two still work."""
    store = make_store(Limits(max_rooms=2))
    put(store, room="a", value=1)
    put(store, room="b", value=1)
    with pytest.raises(ChorusError) as refused:
        put(store, room="c", value=1)
    assert refused.value.code == "too_large"
    assert store.join_state("c") == {"epoch": store.epoch, "version": 0, "values": {}}
    assert put(store, room="a", key="more", value=2).ack == {"ok": True, "version": 1}
    assert delete(store, room="c") == Applied({"ok": True, "version": 0}, None)


# --- op idempotency ----------------------------------------------------------------------------

def test_same_op_from_same_client_applies_once(store):
    """A repeated (client, op) gets the first ack back and is not applied again."""
    first = incr(store, op="op1")
    assert first == Applied({"ok": True, "value": 1, "version": 1}, 1)
    assert incr(store, op="op1") == Applied(first.ack, None)
    assert values(store) == {"k": {"value": 1, "version": 1}}
    assert room_version(store) == 1


def test_replayed_op_returns_the_first_ack_whatever_the_new_write(store):
    """The op id alone identifies the write: a replay returns the first ack unchanged."""
    put(store, value="a", op="x1")
    put(store, value="b")
    assert put(store, value="c", op="x1") == Applied({"ok": True, "version": 1}, None)
    assert values(store) == {"k": {"value": "b", "version": 2}}


def test_same_op_from_another_client_applies_again(store):
    """Ops are remembered per client: another client's identical op id is a new write."""
    incr(store, op="op1", client="alice")
    assert incr(store, op="op1", client="bob") == Applied(
        {"ok": True, "value": 2, "version": 2}, 2)


def test_writes_without_op_always_apply(store):
    """Without an op, two identical writes both apply."""
    incr(store)
    assert incr(store).ack == {"ok": True, "value": 2, "version": 2}


def test_a_conflict_answer_is_remembered(store):
    """Replaying an op that got a conflict gets the conflict again, even if it would now apply."""
    put(store, value="a")
    first = put(store, value="b", expect=0, op="cas")
    assert first.ack == conflict_ack("a", 1)
    delete(store)
    put(store, value="c")  # version 3
    replay = put(store, value="b", expect=0, op="cas")
    assert replay == Applied(first.ack, None)
    assert values(store) == {"k": {"value": "c", "version": 3}}


def test_a_too_large_refusal_is_not_remembered(store):
    """After a too_large refusal, a retry with the same op is tried afresh and can apply."""
    fill(store, 256)
    with pytest.raises(ChorusError):
        put(store, "extra", 1, op="retry")
    delete(store, "k0")
    assert put(store, "extra", 1, op="retry").ack == {"ok": True, "version": 1}
    assert put(store, "extra", 2, op="retry").ack == {"ok": True, "version": 1}
    assert values(store)["extra"] == {"value": 1, "version": 1}


def test_a_bad_request_refusal_is_not_remembered(store):
    """After incr on a non-number is refused, the same op applies once the value is a number."""
    put(store, value="text")
    with pytest.raises(ChorusError):
        incr(store, op="add")
    put(store, value=10)
    assert incr(store, op="add").ack == {"ok": True, "value": 11, "version": 3}


def test_ops_are_forgotten_after_op_ttl(make_store, backend):
    """An op is replayed within op_ttl; once older than op_ttl (and swept) it applies afresh."""
    if backend == "redis":  # Redis expires ops itself, in its own clock: check the TTL it got
        store = make_store(Limits(op_ttl=100.0))
        assert incr(store, op="a").ack["value"] == 1
        ttl = store._redis.ttl("chorus:{r}:op:c1:a")  # in the room's hash slot
        assert 95 <= ttl <= 100
        store._redis.delete("chorus:{r}:op:c1:a")  # as if expired
        assert incr(store, op="a") == Applied({"ok": True, "value": 2, "version": 2}, 2)
        return
    clock = FakeClock()
    store = make_store(Limits(op_ttl=100.0), clock=clock)
    assert incr(store, op="a").ack["value"] == 1
    clock.now += 99
    assert incr(store, op="a") == Applied({"ok": True, "value": 1, "version": 1}, None)
    clock.now += 101  # past the ttl, and past SqliteStore's 60 s between sweeps
    assert incr(store, op="b").ack["value"] == 2  # a write sweeps old ops
    assert incr(store, op="a") == Applied({"ok": True, "value": 3, "version": 3}, 3)
    assert incr(store, op="b") == Applied({"ok": True, "value": 2, "version": 2}, None)


# --- join_state and changes --------------------------------------------------------------------

@pytest.fixture
def history(make_store):
    """A store with log_size 5 and room r at version 5: a=2 (v2), b deleted (v2), c=3 (v1)."""
    store = make_store(Limits(log_size=5))
    put(store, "a", 1)  # room 1
    put(store, "b", 2)  # room 2
    put(store, "a", 2)  # room 3
    delete(store, "b")  # room 4
    put(store, "c", 3)  # room 5
    return store


def test_fresh_join_gives_values_without_deleted_keys(history):
    """A join without since gets every live value and no changes."""
    assert history.join_state("r") == {
        "epoch": history.epoch, "version": 5,
        "values": {"a": {"value": 2, "version": 2}, "c": {"value": 3, "version": 1}}}


def test_join_since_gives_latest_change_per_key_in_version_order(history):
    """A since the log reaches gets the changes after it, one per key, deletions included."""
    assert history.join_state("r", since=1, epoch=history.epoch) == {
        "epoch": history.epoch, "version": 5,
        "changes": [{"key": "a", "value": 2, "version": 2, "deleted": False},
                    {"key": "b", "value": None, "version": 2, "deleted": True},
                    {"key": "c", "value": 3, "version": 1, "deleted": False}]}
    assert history.join_state("r", since=3)["changes"] == [
        {"key": "b", "value": None, "version": 2, "deleted": True},
        {"key": "c", "value": 3, "version": 1, "deleted": False}]


def test_join_since_the_current_version_gives_no_changes(history):
    """A client already up to date gets an empty changes list, not values."""
    assert history.join_state("r", since=5) == {"epoch": history.epoch, "version": 5,
                                                "changes": []}


def test_join_since_above_the_version_gives_values(history):
    """A since beyond the room's version (another history) gets the full values."""
    body = history.join_state("r", since=6, epoch=history.epoch)
    assert "changes" not in body and set(body["values"]) == {"a", "c"}


def test_join_from_another_epoch_gives_values(history):
    """A since from a different epoch gets the full values, even when the number would reach."""
    body = history.join_state("r", since=3, epoch="another-epoch")
    assert "changes" not in body and set(body["values"]) == {"a", "c"}


def test_join_since_older_than_the_log_gives_values(make_store):
    """With log_size 5 at version 10, since 5 still gets changes and since 4 gets values."""
    store = make_store(Limits(log_size=5))
    for i in range(10):
        put(store, f"k{i}", i)
    reached = store.join_state("r", since=5)
    assert [c["key"] for c in reached["changes"]] == ["k5", "k6", "k7", "k8", "k9"]
    body = store.join_state("r", since=4)
    assert "changes" not in body and len(body["values"]) == 10


def test_changes_after_returns_a_batch(history):
    """changes_after gives Batch(epoch, start, version, latest change per key after start)."""
    assert history.changes_after("r", 2) == Batch(history.epoch, 2, 5, [
        {"key": "a", "value": 2, "version": 2, "deleted": False},
        {"key": "b", "value": None, "version": 2, "deleted": True},
        {"key": "c", "value": 3, "version": 1, "deleted": False}])
    assert history.changes_after("r", 4) == Batch(history.epoch, 4, 5, [
        {"key": "c", "value": 3, "version": 1, "deleted": False}])
    assert history.changes_after("r", 5) == Batch(history.epoch, 5, 5, [])
    assert history.changes_after("empty", 0) == Batch(history.epoch, 0, 0, [])


# --- tombstones --------------------------------------------------------------------------------

def test_forgotten_tombstones_raise_the_floor_and_key_versions(make_store, monkeypatch):
    """Past MAX_TOMBSTONES the oldest are dropped: old since gets values, versions never go back."""
    for module in (app.state.writes, app.state.memory_store, app.state.sqlite_store,
                   app.state.redis_store):
        monkeypatch.setattr(module, "MAX_TOMBSTONES", 3)
    store = make_store()
    deleted_at = {}
    for i in range(5):
        put(store, f"t{i}", i)  # room version 2i+1
        deleted_at[f"t{i}"] = delete(store, f"t{i}").ack["version"]  # room version 2i+2
    assert deleted_at["t0"] == 2
    assert room_version(store) == 10
    body = store.join_state("r", since=0)
    assert body == {"epoch": store.epoch, "version": 10, "values": {}}
    assert store.join_state("r", since=9)["changes"] == [
        {"key": "t4", "value": None, "version": deleted_at["t4"], "deleted": True}]
    again = put(store, "t0", "back")
    assert again.ack["version"] > deleted_at["t0"]
    assert values(store) == {"t0": {"value": "back", "version": again.ack["version"]}}
    # a kept tombstone still continues from its own version
    assert put(store, "t4", "back").ack == {"ok": True, "version": deleted_at["t4"] + 1}


# --- backend specifics -------------------------------------------------------------------------

def test_sqlite_state_survives_reopening(tmp_path):
    """Values, versions, the epoch and remembered ops outlive closing and reopening the file."""
    url = f"sqlite:///{tmp_path / 'keep.db'}"
    first = open_store(url)
    put(first, "a", {"x": 1})
    incr(first, "n", 2, op="once")
    delete(first, "a")
    put(first, "b", 1.5)
    state, epoch = first.join_state("r"), first.epoch
    first.close()
    second = open_store(url)
    try:
        assert second.epoch == epoch
        assert second.join_state("r") == state == {
            "epoch": epoch, "version": 4,
            "values": {"n": {"value": 2, "version": 1}, "b": {"value": 1.5, "version": 1}}}
        assert put(second, "a", "back").ack == {"ok": True, "version": 3}
        assert incr(second, "n", 2, op="once") == Applied(
            {"ok": True, "value": 2, "version": 1}, None)
    finally:
        second.close()


def test_two_sqlite_stores_on_one_file_share_epoch_and_state(tmp_path):
    """A second SqliteStore on the same file has the same epoch and sees the first one's writes."""
    path = str(tmp_path / "shared.db")
    one, two = SqliteStore(path), SqliteStore(path)
    try:
        assert one.epoch == two.epoch
        incr(one, by=1)
        assert incr(two, by=1).ack == {"ok": True, "value": 2, "version": 2}
        assert values(one) == {"k": {"value": 2, "version": 2}}
    finally:
        one.close()
        two.close()


def test_sqlite_uses_wal(tmp_path):
    """The SQLite file is in WAL journal mode."""
    path = tmp_path / "wal.db"
    store = SqliteStore(str(path))
    try:
        db = sqlite3.connect(path)
        try:
            assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        finally:
            db.close()
    finally:
        store.close()


def test_memory_stores_have_their_own_epochs():
    """Each MemoryStore is a new history: two of them never share an epoch."""
    assert MemoryStore().epoch != MemoryStore().epoch


def test_redis_that_lost_its_data_is_a_new_epoch(redis_server):
    """A flushed Redis (or one restarted without persistence) shows up as another epoch, and a
    client holding state from the old one gets full values."""
    import redis

    redis.Redis.from_url(redis_server.url).flushall()
    store = RedisStore(redis_server.url)
    try:
        put(store, "k", 1)
        before = store.join_state("r")
        redis.Redis.from_url(redis_server.url).flushall()
        after = store.join_state("r", since=before["version"], epoch=before["epoch"])
        assert after["epoch"] != before["epoch"]
        assert after == {"epoch": after["epoch"], "version": 0, "values": {}}
        assert store.changes_after("r", 0).epoch == after["epoch"]
    finally:
        store.close()


# ---------------------------------------------------------------------------------------------
# Room lifetimes (app/audience/expiry.py): activity, touch, removal; on Redis in cluster mode,
# so every script keeps to one hash slot.

def test_writes_and_touches_mark_rooms_active_and_idle_rooms_are_removed(make_store):
    store = make_store(Limits(max_rooms=3))
    store.apply(parse_write("set", {"room": "a", "key": "k", "value": 1}, "c1"))
    store.touch(["claimed"], create=True)  # a room claimed on the landing page, no values yet
    store.touch(["nowhere"])  # not held: left alone
    active = store.activity()
    assert set(active) == {"a", "claimed"}
    assert all(at > 1e9 for at in active.values())  # seconds since 1970
    assert store.join_state("claimed")["version"] == 0
    assert store.remove("a", idle_since=active["a"] - 1) is False  # active after the cutoff
    assert store.remove("a", idle_since=active["a"] + 1) is True
    assert store.join_state("a")["version"] == 0 and "a" not in store.activity()
    assert store.remove("a") is False  # gone already
    # Its place under max_rooms is free again; the claimed room holds one too.
    store.apply(parse_write("set", {"room": "b", "key": "k", "value": 2}, "c1"))
    store.apply(parse_write("set", {"room": "c", "key": "k", "value": 3}, "c1"))
    with pytest.raises(ChorusError) as full:
        store.touch(["d"], create=True)
    assert full.value.code == "too_large"
    assert store.remove("claimed") is True  # removed whatever its activity
    store.touch(["d"], create=True)
    assert set(store.activity()) == {"b", "c", "d"}
    # A removed room written again starts afresh.
    store.remove("b")
    again = store.apply(parse_write("set", {"room": "b", "key": "k", "value": 9}, "c1"))
    assert again.version == 1
