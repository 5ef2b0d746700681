"""The /sync core on python-engineio's own sockets (CHORUS_LEAN_SOCKETS=0), as a copy of the
core without app/transport/lean_socket.py would run: joins, writes and batches over websocket
and polling, and a websocket upgrade from polling."""

from __future__ import annotations

import uuid

import pytest

from tests.support import Server, SyncClient


@pytest.fixture(scope="module")
def stock_server(workdir):
    srv = Server(workdir, {"CHORUS_STORE": "memory://", "CHORUS_LEAN_SOCKETS": "0"}).start()
    yield srv
    srv.stop()


@pytest.fixture
def clients(stock_server):
    made: list[SyncClient] = []

    def make(transport: str) -> SyncClient:
        client = SyncClient(stock_server.url, transport)
        made.append(client)
        return client.connect()

    yield make
    for client in made:
        client.disconnect()


@pytest.mark.parametrize("writer", ["websocket", "polling"])
def test_writes_reach_members_on_both_transports(clients, writer):
    room = "stock-" + uuid.uuid4().hex[:8]
    members = {"websocket": clients("websocket"), "polling": clients("polling")}
    for member in members.values():
        assert member.join(room)["version"] == 0
    source = members[writer]
    assert source.call("set", {"room": room, "key": "k", "value": writer}) == \
        {"ok": True, "version": 1}
    assert source.call("incr", {"room": room, "key": "n", "by": 2})["value"] == 2
    for name, member in members.items():
        member.wait_for(lambda m=member: m.state(room) == {"k": writer, "n": 2},
                        what=f"both changes on the {name} client")


def test_polling_client_upgrades_and_keeps_its_room(stock_server):
    room = "stock-" + uuid.uuid4().hex[:8]
    client = SyncClient(stock_server.url, "polling")
    client.sio.connect(stock_server.url, namespaces=["/sync"],
                       transports=["polling", "websocket"], wait_timeout=10)
    try:
        client.join(room)
        client.wait_for(lambda: client.sio.transport() == "websocket", what="the upgrade")
        assert client.call("set", {"room": room, "key": "after", "value": 1})["ok"]
        client.wait_for(lambda: client.state(room) == {"after": 1}, what="the batch")
    finally:
        client.disconnect()

