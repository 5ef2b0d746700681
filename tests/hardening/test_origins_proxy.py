"""A page on another origin cannot open a Socket.IO connection, over websocket or polling,
straight to gunicorn or through Nginx; the page's own origin can. tests/integration/
test_origins.py checks the raw refusals straight to gunicorn; here the same through Nginx, with
python-socketio's own client, and with the forwarded headers a page might try to forge."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests
import socketio
import websocket

from tests.hardening.rawsio import ws_url
from tests.support import SyncClient

EVIL = "http://evil.example"


def refusal_lines(server, origin: str) -> list[str]:
    return [line for line in server.log().splitlines()
            if "refused Socket.IO connection from origin " + origin + ":" in line]


def assert_no_websocket_session(url: str, origin: str, header: list[str] | None = None) -> None:
    """Refused at the handshake, or closed before Engine.IO's open packet."""
    try:
        ws = websocket.create_connection(ws_url(url), origin=origin, timeout=5,
                                         header=header or [])
    except websocket.WebSocketBadStatusException:
        return
    try:
        first = ws.recv()
    except (websocket.WebSocketConnectionClosedException, ConnectionError):
        first = ""
    finally:
        ws.close()
    assert not first.startswith("0{"), f"{origin} got an Engine.IO session: {first}"


def client_from(url: str, transport: str, origin: str) -> SyncClient:
    """python-socketio's client as a page on ``origin`` would connect. Over websocket the
    Origin goes through websocket-client's own option: as a header it would be sent twice
    (websocket-client adds one of its own), which no browser does."""
    if transport == "polling":
        return SyncClient(url, transport, headers={"Origin": origin})
    client = SyncClient(url, transport)
    client.sio.eio.websocket_extra_options = {"origin": origin}
    return client


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_socketio_client_from_another_origin_cannot_connect(base_url, server, transport):
    before = len(refusal_lines(server, EVIL))
    client = client_from(base_url, transport, EVIL)
    # polling: the handshake is answered 400; websocket: python-engineio reads the server's
    # close (an empty message where the open packet should be) as "Invalid empty packet"
    with pytest.raises((socketio.exceptions.ConnectionError, ValueError)):
        client.connect()
    client.disconnect()
    assert not client.sio.connected
    assert len(refusal_lines(server, EVIL)) == before + 1


def test_polling_from_another_origin_is_400(base_url, server):
    before = len(refusal_lines(server, EVIL))
    reply = requests.get(base_url + "/socket.io/?EIO=4&transport=polling",
                         headers={"Origin": EVIL}, timeout=5)
    assert reply.status_code == 400
    assert "sid" not in reply.text
    assert len(refusal_lines(server, EVIL)) == before + 1


def test_raw_websocket_from_another_origin_gets_no_session(base_url, server):
    before = len(refusal_lines(server, EVIL))
    assert_no_websocket_session(base_url, EVIL)
    assert len(refusal_lines(server, EVIL)) == before + 1


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_own_origin_connects(base_url, transport):
    client = client_from(base_url, transport, base_url).connect()
    try:
        assert client.join("own-origin")["ok"]
        assert client.call("set", {"room": "own-origin", "key": "k", "value": 1})["ok"]
    finally:
        client.disconnect()


def test_through_nginx_the_origin_must_match_the_proxy_not_gunicorn(server, nginx):
    """Behind Nginx the page was loaded from Nginx's address: gunicorn's own address (what the
    app would see without `proxy_set_header Host $http_host`) is another origin there."""
    app_origin = server.url  # http://127.0.0.1:<gunicorn port>
    reply = requests.get(nginx.url + "/socket.io/?EIO=4&transport=polling",
                         headers={"Origin": app_origin}, timeout=5)
    assert reply.status_code == 400
    assert_no_websocket_session(nginx.url, app_origin)
    reply = requests.get(nginx.url + "/socket.io/?EIO=4&transport=polling",
                         headers={"Origin": nginx.url}, timeout=5)
    assert reply.status_code == 200 and reply.text.startswith("0{")


def test_forged_forwarded_proto_does_not_pass_through_nginx(nginx):
    """A page on https://<same host> is another origin than the http one Nginx serves; a
    client sending its own X-Forwarded-Proto cannot change what the app sees (Nginx sets the
    header from its own $scheme, and the app trusts exactly one proxy)."""
    forged = "https://" + urlsplit(nginx.url).netloc
    headers = {"Origin": forged, "X-Forwarded-Proto": "https"}
    reply = requests.get(nginx.url + "/socket.io/?EIO=4&transport=polling", headers=headers,
                         timeout=5)
    assert reply.status_code == 400
    assert_no_websocket_session(nginx.url, forged, ["X-Forwarded-Proto: https"])


def test_forged_forwarded_for_chain_still_refuses_the_origin(nginx, server):
    """Extra X-Forwarded-For entries from the client do not make another origin acceptable."""
    before = len(refusal_lines(server, EVIL))
    reply = requests.get(nginx.url + "/socket.io/?EIO=4&transport=polling",
                         headers={"Origin": EVIL, "X-Forwarded-For": "127.0.0.1, 10.0.0.1",
                                  "X-Forwarded-Host": urlsplit(EVIL).netloc}, timeout=5)
    assert reply.status_code == 400
    assert len(refusal_lines(server, EVIL)) == before + 1
