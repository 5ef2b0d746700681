"""Only the page's own origin (and the configured allow-list) may connect; refusals are logged."""

from __future__ import annotations

import pytest
import requests
import websocket

from tests.support import Server, SyncClient


@pytest.fixture(scope="module")
def guarded(workdir):
    srv = Server(workdir, {"CHORUS_STORE": "memory://",
                           "CHORUS_ALLOWED_ORIGINS": "https://friend.example"}).start()
    yield srv
    srv.stop()


def refusal_lines(server, origin):
    return [line for line in server.log().splitlines() if origin in line]


def test_other_origin_is_refused_over_polling(guarded):
    origin = "https://evil-polling.example"
    reply = requests.get(guarded.url + "/socket.io/?EIO=4&transport=polling",
                         headers={"Origin": origin})
    assert reply.status_code == 400
    lines = refusal_lines(guarded, origin)
    assert len(lines) == 1 and "refused" in lines[0], lines


def assert_no_session(url: str, origin: str) -> None:
    """The websocket gets no Engine.IO session: refused at the handshake, or closed at once
    without the open packet (gevent-websocket answers 101 before the app sees the request)."""
    try:
        ws = websocket.create_connection(url, origin=origin, timeout=5)
    except websocket.WebSocketBadStatusException:
        return
    try:
        first = ws.recv()
    except (websocket.WebSocketConnectionClosedException, ConnectionError):
        first = ""
    finally:
        ws.close()
    assert not first.startswith("0{"), first


def test_other_origin_is_refused_over_websocket(guarded):
    origin = "https://evil-websocket.example"
    url = guarded.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    for suffix in ("", ":8443", ":8444"):  # every refusal is logged, not only the first
        assert_no_session(url, origin + suffix)
    assert len(refusal_lines(guarded, origin)) == 3


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_own_and_allowed_origins_connect(guarded, transport):
    origins = [guarded.url, "https://friend.example"]
    if transport == "websocket":
        origins = [None]  # websocket-client sends the server's own origin itself
    for origin in origins:
        headers = {"Origin": origin} if origin else {}
        client = SyncClient(guarded.url, transport, headers=headers).connect()
        assert client.join("origins")["ok"]
        client.disconnect()


def test_allowed_origin_over_raw_websocket(guarded):
    url = guarded.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    ws = websocket.create_connection(url, origin="https://friend.example", timeout=5)
    assert ws.recv().startswith("0{")  # the Engine.IO open packet
    ws.close()
