"""Engine.IO v4's rules, each checked against the echo server on Chorus's transport (lean and
stock sockets): the handshake, refusals, payload framing, session ends, upgrade. Each rule is
one the official Engine.IO protocol suite checks (docs/protocol.md, "Conformance")."""

from __future__ import annotations

import json
import threading
import time

import requests
import websocket

SEP = "\x1e"


def base(srv) -> str:
    return f"{srv.url}/engine.io/?EIO=4"


def open_session(srv) -> str:
    reply = requests.get(base(srv) + "&transport=polling", timeout=10)
    assert reply.status_code == 200 and reply.text.startswith("0{"), reply.text
    return json.loads(reply.text[1:])["sid"]


def poll_url(srv, sid: str) -> str:
    return f"{base(srv)}&transport=polling&sid={sid}"


def test_handshake_fields(engineio_echo):
    reply = requests.get(base(engineio_echo) + "&transport=polling", timeout=10)
    opening = json.loads(reply.text[1:])
    assert set(opening) == {"sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"}
    assert opening["upgrades"] == ["websocket"]
    assert (opening["pingInterval"], opening["pingTimeout"]) == (300, 200)
    assert opening["maxPayload"] == 1_000_000


def test_refusals_are_400_with_engineios_error_json(engineio_echo):
    url = f"{engineio_echo.url}/engine.io/"
    cases = [("GET", "?EIO=4"), ("GET", "?EIO=4&transport=abc"), ("GET", "?transport=polling"),
             ("GET", "?EIO=abc&transport=polling"), ("POST", "?EIO=4&transport=polling"),
             ("PUT", "?EIO=4&transport=polling"), ("GET", "?EIO=4&transport=polling&sid=nope")]
    for method, query in cases:
        reply = requests.request(method, url + query, timeout=10)
        assert reply.status_code == 400, (method, query, reply.status_code)
    body = requests.get(url + "?EIO=4&transport=abc", timeout=10).json()
    assert body == {"code": 0, "message": "Transport unknown"}


def test_payloads_are_framed_with_the_record_separator(engineio_echo):
    sid = open_session(engineio_echo)
    push = requests.post(poll_url(engineio_echo, sid), data=SEP.join(["4one", "4two", "bAQID"]),
                         timeout=10)
    assert push.status_code == 200 and push.text == "ok"
    assert requests.get(poll_url(engineio_echo, sid), timeout=10).text == \
        SEP.join(["4one", "4two", "bAQID"])


def test_an_undecodable_payload_ends_the_session(engineio_echo):
    sid = open_session(engineio_echo)
    assert requests.post(poll_url(engineio_echo, sid), data="abc", timeout=10).status_code == 400
    assert requests.get(poll_url(engineio_echo, sid), timeout=10).status_code == 400


def test_a_second_pending_poll_ends_the_session(engineio_echo):
    sid = open_session(engineio_echo)
    first: dict = {}
    pending = threading.Thread(target=lambda: first.update(
        reply=requests.get(poll_url(engineio_echo, sid), timeout=10)))
    pending.start()
    time.sleep(0.05)  # the first GET is waiting in the server
    second = requests.get(poll_url(engineio_echo, sid) + "&t=burst", timeout=10)
    pending.join(10)
    assert second.status_code == 400
    assert first["reply"].status_code == 200 and first["reply"].text == "1"
    assert requests.get(poll_url(engineio_echo, sid), timeout=10).status_code == 400


def test_a_close_posted_while_polling_ends_the_poll_with_a_noop(engineio_echo):
    sid = open_session(engineio_echo)
    result: dict = {}
    pending = threading.Thread(target=lambda: result.update(
        reply=requests.get(poll_url(engineio_echo, sid), timeout=10)))
    pending.start()
    time.sleep(0.05)
    assert requests.post(poll_url(engineio_echo, sid), data="1", timeout=10).status_code == 200
    pending.join(10)
    assert result["reply"].text == "6"
    assert requests.get(poll_url(engineio_echo, sid), timeout=10).status_code == 400


def test_a_session_that_missed_its_pong_is_gone(engineio_echo):
    sid = open_session(engineio_echo)
    time.sleep(0.3 + 0.2 + 0.1)  # pingInterval + pingTimeout, and no pong: the rule under test
    assert requests.get(poll_url(engineio_echo, sid), timeout=10).status_code == 400


def test_polling_pings_are_answered_and_the_session_lives(engineio_echo):
    sid = open_session(engineio_echo)
    for _ in range(2):
        assert requests.get(poll_url(engineio_echo, sid), timeout=10).text == "2"
        assert requests.post(poll_url(engineio_echo, sid), data="3", timeout=10).text == "ok"


def test_upgrade_probe_noop_and_no_noop_after(engineio_echo):
    sid = open_session(engineio_echo)
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{engineio_echo.port}/engine.io/?EIO=4&transport=websocket&sid={sid}",
        timeout=10)
    try:
        ws.send("2probe")
        assert ws.recv() == "3probe"
        assert requests.get(poll_url(engineio_echo, sid), timeout=10).text == "6"
        ws.send("5")
        ws.send("4hello")
        assert ws.recv() == "4hello"  # the echo, not a NOOP left over from the long-poll
        assert requests.get(poll_url(engineio_echo, sid), timeout=10).status_code == 400
    finally:
        ws.close()


def test_websocket_echo_and_close(engineio_echo):
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{engineio_echo.port}/engine.io/?EIO=4&transport=websocket", timeout=10)
    assert ws.recv().startswith("0{")
    ws.send("4hello")
    assert ws.recv() == "4hello"
    ws.send_binary(b"\x01\x02\x03")
    assert ws.recv() == b"\x01\x02\x03"
    ws.send("1")
    ws.settimeout(5)
    try:
        left = ws.recv()
    except websocket.WebSocketConnectionClosedException:
        left = ""
    assert left in ("", "1")
    ws.close()
