"""The /sync contract, event by event, against a real gunicorn, over websocket and polling."""

from __future__ import annotations

import uuid

import pytest
import socketio

from tests.support import SyncClient


def room_name() -> str:
    return "r-" + uuid.uuid4().hex[:10]


def test_join_answers_with_snapshot_members_and_client(connect):
    """A join ack carries epoch, version, values, members and the client id it was given."""
    room = room_name()
    a = connect(client="alice")
    ack = a.join(room)
    assert ack["room"] == room
    assert ack["client"] == "alice"
    assert ack["version"] == 0 and ack["values"] == {} and ack["members"] == 1
    assert isinstance(ack["epoch"], str) and ack["epoch"]


def test_client_without_id_gets_one_from_the_server(connect):
    """No `client` in auth: the server makes one up, valid by the contract's rule."""
    ack = connect().join(room_name())
    assert 1 <= len(ack["client"]) <= 64
    assert all(c.isalnum() or c in "_-" for c in ack["client"])


def test_set_incr_delete_acks_and_versions(connect):
    """Key versions go up by one per change; the room version counts every change."""
    room = room_name()
    a = connect()
    a.join(room)
    assert a.call("set", {"room": room, "key": "k", "value": {"x": [1, 2]}}) == \
        {"ok": True, "version": 1}
    assert a.call("set", {"room": room, "key": "k", "value": "two"}) == {"ok": True, "version": 2}
    assert a.call("incr", {"room": room, "key": "n", "by": 5}) == \
        {"ok": True, "value": 5, "version": 1}
    assert a.call("incr", {"room": room, "key": "n", "by": -1.5}) == \
        {"ok": True, "value": 3.5, "version": 2}
    assert a.call("delete", {"room": room, "key": "k"}) == {"ok": True, "version": 3}
    ack = a.join(room)
    assert ack["version"] == 5
    assert ack["values"] == {"n": {"value": 3.5, "version": 2}}


def test_deleted_key_keeps_its_version(connect):
    """Re-creating a deleted key continues from its version; expect compares with it."""
    room = room_name()
    a = connect()
    a.join(room)
    a.call("set", {"room": room, "key": "k", "value": 1})
    assert a.call("delete", {"room": room, "key": "k"})["version"] == 2
    conflict = a.call("set", {"room": room, "key": "k", "value": 9, "expect": 0})
    assert conflict["error"]["code"] == "conflict"
    assert conflict["current"] == {"value": None, "version": 2}
    assert a.call("set", {"room": room, "key": "k", "value": 3, "expect": 2}) == \
        {"ok": True, "version": 3}


def test_expect_conflict_carries_current(connect):
    """set with a stale expect is a conflict with the current value and version."""
    room = room_name()
    a = connect()
    a.join(room)
    assert a.call("set", {"room": room, "key": "k", "value": "a", "expect": 0})["ok"]
    ack = a.call("set", {"room": room, "key": "k", "value": "b", "expect": 0})
    assert ack["ok"] is False
    assert ack["error"]["code"] == "conflict" and ack["error"]["message"]
    assert ack["current"] == {"value": "a", "version": 1}


def test_incr_on_non_number_is_bad_request(connect):
    room = room_name()
    a = connect()
    a.join(room)
    a.call("set", {"room": room, "key": "t", "value": True})
    assert a.call("incr", {"room": room, "key": "t", "by": 1})["error"]["code"] == "bad_request"
    a.call("set", {"room": room, "key": "s", "value": "3"})
    assert a.call("incr", {"room": room, "key": "s", "by": 1})["error"]["code"] == "bad_request"


def test_writes_before_join_are_not_joined(connect):
    """set, incr and delete on a room not joined (or left) answer not_joined."""
    room = room_name()
    a = connect()
    for event, extra in (("set", {"value": 1}), ("incr", {"by": 1}), ("delete", {})):
        ack = a.call(event, {"room": room, "key": "k", **extra})
        assert ack["error"]["code"] == "not_joined", ack
    a.join(room)
    assert a.call("set", {"room": room, "key": "k", "value": 1})["ok"]
    assert a.call("leave", {"room": room}) == {"ok": True}
    assert a.call("set", {"room": room, "key": "k", "value": 2})["error"]["code"] == "not_joined"


def test_leave_is_idempotent(connect):
    a = connect()
    assert a.call("leave", {"room": room_name()}) == {"ok": True}


def test_changes_reach_every_member_writer_included(connect):
    """A change is broadcast as a `changes` batch to all members, the writer too."""
    room = room_name()
    a, b = connect(), connect()
    base = a.join(room)["version"]
    b.join(room)
    a.call("set", {"room": room, "key": "color", "value": "#ff0000"})
    for c in (a, b):
        batch = c.wait_for(lambda c=c: [x for x in c.received("changes") if x["room"] == room],
                           what="a batch")[0]
        assert batch["epoch"] and batch["from"] == base and batch["version"] == base + 1
        assert batch["changes"] == [{"key": "color", "value": "#ff0000", "version": 1,
                                     "deleted": False}]


def test_deletion_is_broadcast(connect):
    room = room_name()
    a, b = connect(), connect()
    a.join(room)
    b.join(room)
    a.call("set", {"room": room, "key": "k", "value": 1})
    a.call("delete", {"room": room, "key": "k"})
    change = b.wait_for(lambda: [ch for batch in b.received("changes") for ch in batch["changes"]
                                 if ch["deleted"]], what="a deletion")[0]
    assert change == {"key": "k", "value": None, "version": 2, "deleted": True}


def test_presence_counts_distinct_clients(connect):
    """Two connections with one client id count once; presence follows joins and leaves."""
    room = room_name()
    a = connect(client="same")
    assert a.join(room)["members"] == 1
    a2 = connect(client="same")
    assert a2.join(room)["members"] == 1
    b = connect(client="other")
    assert b.join(room)["members"] == 2
    a.wait_for(lambda: any(p["members"] == 2 for p in a.received("presence")),
               what="presence 2")
    b.call("leave", {"room": room})
    a.wait_for(lambda: a.received("presence")[-1]["members"] == 1, what="presence back to 1")
    a2.disconnect()
    a.disconnect()
    c = connect(client="third")
    assert c.join(room)["members"] == 1


def test_op_makes_a_write_idempotent(connect):
    """The same op sent twice applies once and gets the first ack back."""
    room = room_name()
    a = connect(client="idem-" + uuid.uuid4().hex[:6])
    a.join(room)
    first = a.call("incr", {"room": room, "key": "n", "by": 1, "op": "op-1"})
    again = a.call("incr", {"room": room, "key": "n", "by": 1, "op": "op-1"})
    assert first == again == {"ok": True, "value": 1, "version": 1}
    assert a.call("set", {"room": room, "key": "s", "value": "x", "op": "op-2"}) == \
        a.call("set", {"room": room, "key": "s", "value": "y", "op": "op-2"})
    assert a.join(room)["values"]["s"] == {"value": "x", "version": 1}


def test_op_is_remembered_across_connections_of_a_client(connect):
    """A retry after a reconnect (same client id, new connection) is still applied once."""
    room = room_name()
    client = "retry-" + uuid.uuid4().hex[:6]
    a = connect(client=client)
    a.join(room)
    ack = a.call("incr", {"room": room, "key": "n", "by": 2, "op": "once"})
    a.disconnect()
    b = connect(client=client)
    b.join(room)
    assert b.call("incr", {"room": room, "key": "n", "by": 2, "op": "once"}) == ack
    assert b.join(room)["values"]["n"]["value"] == 2
    other = connect(client="someone-else")
    other.join(room)
    assert other.call("incr", {"room": room, "key": "n", "by": 2, "op": "once"})["value"] == 4


def test_conflict_answer_is_remembered_by_op(connect):
    """A conflict is remembered: the retry gets the conflict again, not a late success."""
    room = room_name()
    a = connect(client="c-" + uuid.uuid4().hex[:6])
    a.join(room)
    a.call("set", {"room": room, "key": "k", "value": 1})
    first = a.call("set", {"room": room, "key": "k", "value": 2, "expect": 0, "op": "x1"})
    assert first["error"]["code"] == "conflict"
    a.call("delete", {"room": room, "key": "k"})
    assert a.call("set", {"room": room, "key": "k", "value": 2, "expect": 0, "op": "x1"}) == first


def test_since_answers_with_missed_changes(connect):
    """Rejoining with since and epoch gets one entry per changed key, latest, in order."""
    room = room_name()
    a = connect()
    first = a.join(room)
    a.call("set", {"room": room, "key": "a", "value": 1})
    a.call("set", {"room": room, "key": "b", "value": 1})
    mark = a.join(room)["version"]
    a.call("set", {"room": room, "key": "a", "value": 2})
    a.call("set", {"room": room, "key": "c", "value": 3})
    a.call("set", {"room": room, "key": "a", "value": 4})
    a.call("delete", {"room": room, "key": "b"})
    b = connect()
    ack = b.join(room, since=mark, epoch=first["epoch"])
    assert "values" not in ack
    assert ack["version"] == mark + 4
    assert ack["changes"] == [
        {"key": "c", "value": 3, "version": 1, "deleted": False},
        {"key": "a", "value": 4, "version": 3, "deleted": False},
        {"key": "b", "value": None, "version": 2, "deleted": True},
    ]
    assert b.join(room, since=ack["version"], epoch=first["epoch"])["changes"] == []


def test_since_falls_back_to_values(connect):
    """since from another epoch, or above the room's version: the full values."""
    room = room_name()
    a = connect()
    epoch = a.join(room)["epoch"]
    a.call("set", {"room": room, "key": "a", "value": 1})
    other_epoch = a.join(room, since=0, epoch=epoch + "x")
    assert other_epoch["values"] == {"a": {"value": 1, "version": 1}} and \
        "changes" not in other_epoch
    ahead = a.join(room, since=99, epoch=epoch)
    assert ahead["values"] == {"a": {"value": 1, "version": 1}}


def test_since_beyond_the_log_gets_values(connect):
    """The log reaches back 1,000 room versions: further back, the full values."""
    room = room_name()
    a = connect()
    epoch = a.join(room)["epoch"]
    for i in range(1002):
        a.emit("set", {"room": room, "key": f"k{i % 3}", "value": i})
    assert a.call("set", {"room": room, "key": "k0", "value": "last"})["ok"]
    ack = a.join(room, since=1, epoch=epoch)
    assert "values" in ack and ack["values"]["k0"]["value"] == "last"
    reach = a.join(room, since=ack["version"] - 1000, epoch=epoch)
    assert "changes" in reach


def test_unknown_and_reserved_event_names(connect):
    """`nope`, `disconnect`, `connect`: bad_request, and the connection stays joined."""
    room = room_name()
    a = connect()
    a.join(room)
    for name in ("nope", "disconnect", "connect", "connect_error", "changes", "message"):
        ack = a.call(name, {"room": room})
        assert ack["ok"] is False and ack["error"]["code"] == "bad_request", (name, ack)
    assert a.call("set", {"room": room, "key": "still", "value": True}) == \
        {"ok": True, "version": 1}
    assert a.join(room)["members"] == 1


def test_unknown_event_without_ack_is_ignored(connect):
    room = room_name()
    a = connect()
    a.join(room)
    a.emit("disconnect", {"room": room})
    a.emit("nope", None)
    assert a.call("set", {"room": room, "key": "k", "value": 1})["ok"]
    assert a.sio.connected


def test_malformed_auth_is_refused_with_code(base_url, transport):
    """A connect with malformed auth fails; connect_error says bad_request."""
    for auth in ({"client": "bad id!"}, {"client": 5}, {"name": "x" * 41}, "not-an-object",
                 {"client": "x" * 65}):
        client = SyncClient(base_url, transport, auth=auth)
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect()
        client.wait_for(lambda c=client: c.connect_error, what="connect_error")
        assert client.connect_error["code"] == "bad_request", auth
        assert client.connect_error["message"]
        client.disconnect()


def test_name_of_forty_characters_is_accepted(connect):
    a = connect(client="named", name="n" * 40)
    assert a.join(room_name())["ok"]
