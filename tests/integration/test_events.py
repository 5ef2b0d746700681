"""GET /api/rooms/<room>/events on a real gunicorn: the snapshot, one ``changes`` event per
batch with ``id: <epoch>:<version>``, a resume with Last-Event-ID that gets exactly what was
missed, bad ids, unknown rooms, foreign origins, the cap on open streams, 500 readers at once,
and a reader that stops reading being dropped while the others go on."""

from __future__ import annotations

import re
import selectors
import socket
import time
import uuid

import pytest
import requests

from tests.events_reader import EventReader
from tests.support import Server, SyncClient

TOKEN = "events-token"


@pytest.fixture(scope="module")
def server(workdir):
    srv = Server(workdir, {"CHORUS_STORE": "memory://", "CHORUS_API_TOKEN": TOKEN,
                           "CHORUS_MAX_STREAMS": "600", "CHORUS_MAX_BACKLOG": "65536",
                           "CHORUS_STREAM_HEARTBEAT": "1"}).start()
    yield srv
    srv.stop()


def room_name() -> str:
    return "ev-" + uuid.uuid4().hex[:10]


def put(server: Server, room: str, key: str, value) -> dict:
    reply = requests.put(f"{server.url}/api/rooms/{room}/values/{key}", json={"value": value},
                         headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_snapshot_then_a_socket_clients_change(server):
    room = room_name()
    put(server, room, "slider", 1)
    reader = EventReader(server.url, room)
    try:
        assert reader.response.headers["Content-Type"].startswith("text/event-stream")
        first = reader.next()
        assert first.kind == "snapshot"
        assert first.data["values"] == {"slider": {"value": 1, "version": 1}}
        assert first.id == f"{first.data['epoch']}:{first.data['version']}"
        writer = SyncClient(server.url, "websocket").connect()
        try:
            writer.call("join", {"room": room})
            assert writer.call("set", {"room": room, "key": "slider", "value": 42})["ok"]
        finally:
            writer.disconnect()
        change = reader.next()
        assert change.kind == "changes"
        assert change.data["from"] == first.data["version"]
        assert [(c["key"], c["value"]) for c in change.data["changes"]] == [("slider", 42)]
        assert change.id == f"{change.data['epoch']}:{change.data['version']}"
        assert reader.retry is not None
    finally:
        reader.close()


def test_a_resume_gets_exactly_what_was_missed_in_order(server):
    room = room_name()
    put(server, room, "start", 0)
    reader = EventReader(server.url, room)
    first = reader.next()
    reader.close()
    for n in range(5):
        put(server, room, f"k{n}", n)
    again = EventReader(server.url, room, last_event_id=first.id)
    try:
        missed = again.next()
        assert missed.kind == "changes"
        assert missed.data["from"] == first.data["version"]
        assert [(c["key"], c["value"]) for c in missed.data["changes"]] == [
            (f"k{n}", n) for n in range(5)]
        put(server, room, "after", True)
        assert [c["key"] for c in again.next().data["changes"]] == ["after"]
    finally:
        again.close()


@pytest.mark.parametrize("bogus", ["nonsense", "other-epoch:1", ":", "x" * 500,
                                   "ep:99999999999999", "ep:-1"])
def test_a_bad_last_event_id_gets_a_fresh_snapshot(server, bogus):
    room = room_name()
    put(server, room, "a", 1)
    reader = EventReader(server.url, room, last_event_id=bogus)
    try:
        assert reader.response.status_code == 200
        event = reader.next()
        assert event.kind == "snapshot"
        assert event.data["values"]["a"]["value"] == 1
    finally:
        reader.close()


def test_unknown_room_bad_name_and_foreign_origin_are_json_errors(server):
    unknown = requests.get(f"{server.url}/api/rooms/{room_name()}/events", timeout=10)
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "not_found"
    bad = requests.get(f"{server.url}/api/rooms/no%20spaces/events", timeout=10)
    assert bad.status_code == 400 and bad.json()["ok"] is False
    room = room_name()
    put(server, room, "a", 1)
    foreign = requests.get(f"{server.url}/api/rooms/{room}/events", timeout=10,
                           headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    assert foreign.json()["error"]["code"] == "forbidden"
    own = EventReader(server.url, room, headers={"Origin": server.url})
    try:
        assert own.response.headers["Access-Control-Allow-Origin"] == server.url
        assert own.next().kind == "snapshot"
    finally:
        own.close()


def test_a_quiet_stream_gets_heartbeats(server):
    room = room_name()
    put(server, room, "a", 1)
    reader = EventReader(server.url, room)
    try:
        reader.next()
        deadline = time.monotonic() + 10
        while reader.comments < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert reader.comments >= 2  # CHORUS_STREAM_HEARTBEAT=1 here; 15 s by default
    finally:
        reader.close()


def test_the_cap_on_open_streams_answers_503(workdir):
    srv = Server(workdir, {"CHORUS_STORE": "memory://", "CHORUS_MAX_STREAMS": "2",
                           "CHORUS_STREAM_HEARTBEAT": "0.5",
                           "CHORUS_API_TOKEN": TOKEN}).start()
    try:
        room = room_name()
        put(srv, room, "a", 1)
        held = [EventReader(srv.url, room) for _ in range(2)]
        for reader in held:
            assert reader.next().kind == "snapshot"
        over = requests.get(f"{srv.url}/api/rooms/{room}/events", timeout=10)
        assert over.status_code == 503
        assert over.json()["error"]["code"] == "unavailable"
        held[0].close()
        deadline = time.monotonic() + 10  # the server notices the close at its next write
        while time.monotonic() < deadline:
            put(srv, room, "a", time.monotonic())
            again = requests.get(f"{srv.url}/api/rooms/{room}/events", timeout=10, stream=True)
            status = again.status_code
            again.close()
            if status == 200:
                break
            time.sleep(0.2)
        assert status == 200
        held[1].close()
    finally:
        srv.stop()


def _open_raw(server: Server, room: str, rcvbuf: int | None = None) -> socket.socket:
    sock = socket.socket()
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.connect(("127.0.0.1", server.port))
    sock.sendall(f"GET /api/rooms/{room}/events HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                 "\r\n".encode())
    return sock


def _read_until(socks: dict[socket.socket, bytearray], needle: bytes, timeout: float) -> set:
    """Read every socket until each one's bytes hold ``needle``; returns those that never did."""
    waiting = {s for s, got in socks.items() if needle not in got}
    selector = selectors.DefaultSelector()
    for sock in waiting:
        selector.register(sock, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while waiting and time.monotonic() < deadline:
        for key, _ in selector.select(timeout=0.5):
            sock = key.fileobj
            data = sock.recv(65536)
            socks[sock] += data
            if needle in socks[sock] or not data:
                waiting.discard(sock)
                selector.unregister(sock)
    selector.close()
    return waiting


def test_500_readers_all_receive_a_change(server):
    room = room_name()
    put(server, room, "a", 0)
    socks: dict[socket.socket, bytearray] = {}
    try:
        for _ in range(500):
            socks[_open_raw(server, room)] = bytearray()
        assert not _read_until(socks, b"event: snapshot", 60)
        put(server, room, "a", "to-all-500")
        assert not _read_until(socks, b"to-all-500", 60)
        assert all(b"event: changes" in got for got in socks.values())
    finally:
        for sock in socks:
            sock.close()


def _dropped(server: Server) -> float:
    text = requests.get(server.url + "/metrics", timeout=10).text
    match = re.search(r'^chorus_dropped_clients_total\{reason="stream"\} (\S+)$', text, re.M)
    return float(match.group(1)) if match else 0.0


def test_a_reader_that_stops_reading_is_dropped_and_the_others_go_on(server):
    room = room_name()
    put(server, room, "big", "")
    before = _dropped(server)
    stuck = _open_raw(server, room, rcvbuf=4096)  # never read again
    reader = EventReader(server.url, room)
    try:
        reader.next()
        value = "x" * 3500
        deadline = time.monotonic() + 60
        n = 0
        while _dropped(server) == before and time.monotonic() < deadline:
            n += 1
            put(server, room, "big", f"{n}:{value}")
        assert _dropped(server) == before + 1, "the stuck reader was not dropped"
        put(server, room, "big", "after-the-drop")
        while True:  # the reading one saw every batch, and still gets the next
            event = reader.next()
            if event.data["changes"][-1]["value"] == "after-the-drop":
                break
    finally:
        stuck.close()
        reader.close()
