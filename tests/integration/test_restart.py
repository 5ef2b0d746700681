"""Restarts: SQLite keeps values and versions; a memory store starts a new epoch."""

from __future__ import annotations

import signal

import pytest
import requests

from tests.support import Server, SyncClient


@pytest.fixture(scope="module")
def sqlite_server(workdir):
    srv = Server(workdir, {"CHORUS_STORE": f"sqlite:///{workdir}/restart.db"}).start()
    yield srv
    srv.stop()


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_sqlite_restart_keeps_values_and_since_catches_up(sqlite_server, transport):
    """SIGTERM and start again on the same file: values, versions and epoch intact, and a
    client rejoining with since gets exactly the changes it missed."""
    room = f"keep-{transport}"
    a = SyncClient(sqlite_server.url, transport).connect()
    first = a.join(room)
    a.call("set", {"room": room, "key": "volume", "value": 70})
    a.call("incr", {"room": room, "key": "count", "by": 3})
    a.call("set", {"room": room, "key": "text", "value": "before"})
    seen = a.join(room)
    a.disconnect()

    # a second client keeps writing while the first is away
    b = SyncClient(sqlite_server.url, transport).connect()
    b.join(room)
    b.call("set", {"room": room, "key": "text", "value": "while away"})
    b.call("incr", {"room": room, "key": "count", "by": 1})
    b.disconnect()

    assert sqlite_server.stop(signal.SIGTERM) == 0
    sqlite_server.start()

    fresh = SyncClient(sqlite_server.url, transport).connect()
    after = fresh.join(room)
    assert after["epoch"] == first["epoch"]
    assert after["version"] == seen["version"] + 2
    assert after["values"] == {
        "volume": {"value": 70, "version": 1},
        "count": {"value": 4, "version": 2},
        "text": {"value": "while away", "version": 2},
    }
    back = fresh.join(room, since=seen["version"], epoch=seen["epoch"])
    assert back["changes"] == [
        {"key": "text", "value": "while away", "version": 2, "deleted": False},
        {"key": "count", "value": 4, "version": 2, "deleted": False},
    ]
    # versions go on from where they were
    assert fresh.call("incr", {"room": room, "key": "count", "by": 1}) == \
        {"ok": True, "value": 5, "version": 3}
    fresh.disconnect()


def test_memory_restart_is_a_new_epoch(workdir):
    """A memory store restarted loses its history: a new epoch, and an old-epoch rejoin
    gets a full snapshot instead of changes."""
    srv = Server(workdir, {"CHORUS_STORE": "memory://"}).start()
    try:
        a = SyncClient(srv.url, "websocket").connect()
        before = a.join("epochs")
        a.call("set", {"room": "epochs", "key": "k", "value": 1})
        a.disconnect()
        srv.stop()
        srv.start()
        b = SyncClient(srv.url, "polling").connect()
        after = b.join("epochs", since=before["version"] + 1, epoch=before["epoch"])
        assert after["epoch"] != before["epoch"]
        assert "values" in after and "changes" not in after
        assert after["values"] == {}
        b.disconnect()
    finally:
        srv.stop()


def test_sigterm_stops_quickly_with_open_websockets(workdir):
    """graceful_timeout is short: a stop with connected clients does not hang for 30 s."""
    srv = Server(workdir, {"CHORUS_STORE": "memory://"}).start()
    clients = [SyncClient(srv.url, "websocket").connect() for _ in range(3)]
    for c in clients:
        c.join("stopping")
    assert srv.stop(signal.SIGTERM, timeout=12) == 0
    with pytest.raises(requests.RequestException):
        requests.get(srv.url + "/healthz", timeout=1)
    for c in clients:
        c.disconnect()
