"""Reconnecting: a cut catches up with ``since``; a server that lost the room sends a snapshot."""

from __future__ import annotations

import uuid

from chorus_client import Room

from tests.tcp_proxy import TcpProxy


def wait_until(room: Room, predicate, what: str, timeout: float = 30.0) -> None:
    """Wait on the room's own condition (woken at every connect, disconnect and change)."""
    with room._cond:
        if not room._cond.wait_for(predicate, timeout):
            raise AssertionError(f"timed out waiting for {what}; values: {dict(room.values)}")


def test_changes_made_while_cut_off_arrive_after_the_reconnect(server, recorder):
    name = f"catchup-{uuid.uuid4().hex[:8]}"
    proxy = TcpProxy(server.port)
    try:
        with Room(server.url, name) as writer, \
                Room(proxy.url, name, transports=["websocket"]) as room:
            writer.set("a", 1)
            assert room.wait(lambda values: values.get("a") == 1, 15)
            seen = recorder()
            room.on_change(None, seen.add)
            epoch = room.epoch
            proxy.cut()
            wait_until(room, lambda: not room._connected, "the cut to be noticed")
            writer.set("a", 2)
            writer.set("b", "new")
            writer.delete("a")
            proxy.restore()
            seen.wait_for(lambda items: {c.key for c in items} == {"a", "b"}, what="catch-up")
            assert [(c.key, c.value, c.deleted) for c in sorted(seen.items, key=lambda c: c.key)
                    ] == [("a", None, True), ("b", "new", False)]
            assert dict(room.values) == {"b": "new"} and room.epoch == epoch
            assert room.version == writer.version
    finally:
        proxy.close()


def test_a_restarted_memory_store_means_a_new_epoch_and_a_fresh_snapshot(server, recorder):
    name = f"epoch-{uuid.uuid4().hex[:8]}"
    with Room(server.url, name) as room:
        room.set("kept", "before the restart")
        old_epoch = room.epoch
        seen = recorder()
        room.on_change(None, seen.add)
        server.stop()
        wait_until(room, lambda: not room._connected, "the disconnect")
        server.start()
        seen.wait_for(lambda items: items, what="the snapshot's difference")
        assert [(c.key, c.deleted) for c in seen.items] == [("kept", True)]
        assert room.epoch != old_epoch and dict(room.values) == {}
        assert room.set("kept", "after")["version"] == 1  # a new history, from version 0
        assert room.values["kept"] == "after"
