"""The JSON API beside the sockets: same semantics, token-guarded writes, JSON errors."""

from __future__ import annotations

import uuid

import pytest
import requests

from tests.support import Server, SyncClient

TOKEN = "123456"  # digits on purpose: it must stay a string, not become an int


@pytest.fixture(scope="module")
def api_server(workdir):
    srv = Server(workdir, {"CHORUS_STORE": "memory://", "CHORUS_API_TOKEN": TOKEN}).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def open_server(workdir):
    """No CHORUS_API_TOKEN: HTTP writes are off."""
    srv = Server(workdir, {"CHORUS_STORE": "memory://"}).start()
    yield srv
    srv.stop()


def auth(token: str = TOKEN) -> dict:
    return {"Authorization": f"Bearer {token}", "Connection": "close"}


def room_name() -> str:
    return "api-" + uuid.uuid4().hex[:8]


def test_healthz_reports_mode_websocket_store_version(api_server):
    body = requests.get(api_server.url + "/healthz").json()
    assert body["ok"] is True
    assert body["async_mode"] == "gevent"
    assert body["websocket"] is True
    assert body["store"] is True
    assert body["version"]


def test_snapshot_put_incr_delete(api_server):
    room = room_name()
    url = f"{api_server.url}/api/rooms/{room}"
    snap = requests.get(url).json()
    assert snap["ok"] and snap["version"] == 0 and snap["values"] == {} and snap["epoch"]
    put = requests.put(url + "/values/k", json={"value": [1, "a"]}, headers=auth())
    assert put.status_code == 200 and put.json() == {"ok": True, "version": 1}
    incr = requests.post(url + "/values/n/incr", json={"by": 2.5}, headers=auth())
    assert incr.json() == {"ok": True, "value": 2.5, "version": 1}
    delete = requests.delete(url + "/values/k", headers=auth())
    assert delete.json() == {"ok": True, "version": 2}
    snap = requests.get(url).json()
    assert snap["version"] == 3
    assert snap["values"] == {"n": {"value": 2.5, "version": 1}}


def test_conflict_is_409_with_current(api_server):
    url = f"{api_server.url}/api/rooms/{room_name()}/values/k"
    requests.put(url, json={"value": "a"}, headers=auth())
    reply = requests.put(url, json={"value": "b", "expect": 0}, headers=auth())
    assert reply.status_code == 409
    body = reply.json()
    assert body["ok"] is False and body["error"]["code"] == "conflict"
    assert body["current"] == {"value": "a", "version": 1}


def test_op_idempotent_over_http(api_server):
    url = f"{api_server.url}/api/rooms/{room_name()}/values/n/incr"
    first = requests.post(url, json={"by": 1, "op": "same-op"}, headers=auth()).json()
    again = requests.post(url, json={"by": 1, "op": "same-op"}, headers=auth()).json()
    assert first == again == {"ok": True, "value": 1, "version": 1}


@pytest.mark.parametrize("method,path,body,status,code", [
    ("put", "/values/k", {"nothing": 1}, 400, "bad_request"),
    ("put", "/values/k", [1], 400, "bad_request"),
    ("put", "/values/bad%20key", {"value": 1}, 400, "bad_request"),
    ("put", "/values/k", {"value": "x" * 5000}, 413, "too_large"),
    ("put", "/values/k", {"value": 1, "expect": "1"}, 400, "bad_request"),
    ("post", "/values/n/incr", {"by": 1e10}, 400, "bad_request"),
    ("post", "/values/n/incr", {"by": "1"}, 400, "bad_request"),
    ("post", "/values/n/incr", {"by": True}, 400, "bad_request"),
])
def test_bad_requests_are_json_errors(api_server, method, path, body, status, code):
    url = f"{api_server.url}/api/rooms/{room_name()}{path}"
    reply = getattr(requests, method)(url, json=body, headers=auth())
    assert reply.status_code == status
    assert reply.json()["ok"] is False
    assert reply.json()["error"]["code"] == code
    assert reply.json()["error"]["message"]


def test_non_json_body_and_oversize_body(api_server):
    url = f"{api_server.url}/api/rooms/{room_name()}/values/k"
    reply = requests.put(url, data=b"{not json", headers=auth())
    assert reply.status_code == 400 and reply.json()["error"]["code"] == "bad_request"
    reply = requests.put(url, data=b"x" * 200_000, headers=auth())
    assert reply.status_code == 413 and reply.json()["error"]["code"] == "too_large"


def test_bad_room_name_and_unknown_route(api_server):
    reply = requests.get(api_server.url + "/api/rooms/bad.room")
    assert reply.status_code == 400 and reply.json()["error"]["code"] == "bad_request"
    reply = requests.get(api_server.url + "/api/nothing-here")
    assert reply.status_code == 404 and reply.json()["ok"] is False
    reply = requests.patch(f"{api_server.url}/api/rooms/{room_name()}/values/k", json={})
    assert reply.status_code == 405 and reply.json()["ok"] is False


def test_writes_need_the_token(api_server):
    url = f"{api_server.url}/api/rooms/{room_name()}/values/k"
    missing = requests.put(url, json={"value": 1})
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "forbidden"
    wrong = requests.put(url, json={"value": 1}, headers=auth("654321"))
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "forbidden"


def test_writes_refused_without_configured_token(open_server):
    url = f"{open_server.url}/api/rooms/{room_name()}/values/k"
    reply = requests.put(url, json={"value": 1}, headers=auth())
    assert reply.status_code == 403 and reply.json()["error"]["code"] == "forbidden"
    assert requests.get(f"{open_server.url}/api/rooms/demo").status_code == 200


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_http_write_reaches_socket_members(api_server, transport):
    room = room_name()
    watcher = SyncClient(api_server.url, transport).connect()
    try:
        watcher.join(room)
        requests.put(f"{api_server.url}/api/rooms/{room}/values/k", json={"value": "from http"},
                     headers=auth())
        watcher.wait_for(lambda: watcher.latest(room, "k") == "from http", what="http write")
        assert requests.get(f"{api_server.url}/api/rooms/{room}").json()["members"] == 1
    finally:
        watcher.disconnect()


def test_pages(api_server):
    assert "demo" in requests.get(api_server.url + "/").text
    page = requests.get(api_server.url + "/r/demo")
    assert page.status_code == 200 and 'data-room="demo"' in page.text
    assert 'id="board"' in page.text  # its controls are drawn by static/board.js, from /board
    assert requests.get(api_server.url + "/r/not.a.room").status_code == 404
    created = requests.post(api_server.url + "/rooms", data={"room": "fresh-room"},
                            allow_redirects=False)
    assert created.status_code == 303
    assert created.headers["Location"] == "/present/fresh-room?created=1"  # no token in it
    assert created.cookies["chorus_presenter"]  # the presenter's token, as a cookie
    again = requests.post(api_server.url + "/rooms", data={"room": "fresh-room"},
                          allow_redirects=False)
    assert again.headers["Location"].endswith("/?taken=fresh-room")
    script = requests.get(api_server.url + "/static/vendor/socket.io.min.js")
    assert script.status_code == 200 and len(script.content) > 10_000
    demo = requests.get(api_server.url + "/api/rooms/demo").json()
    assert demo["values"]["volume"]["value"] == 50
