"""The room-defined board over HTTP and /sync: the definition API (token, 400 paths, limits),
the per-key modes as any client meets them, the averaged value's shape, and the moderation
events on /board. The contract's own tests (test_contract.py) cover rooms without a board."""

from __future__ import annotations

import uuid

import pytest
import requests

from tests.audience_support import AudienceClient, create_room
from tests.support import Server, SyncClient

API_TOKEN = "board-api-token"
BOARD = {"controls": [
    {"key": "title", "kind": "text", "label": "Title", "start": "Hi", "mode": "presenter"},
    {"key": "note", "kind": "text", "label": "Note", "mode": "moderated", "max_length": 20},
    {"key": "mood", "kind": "slider", "label": "Mood", "min": 0, "max": 10, "mode": "average"},
    {"key": "lamp", "kind": "toggle", "label": "Lamp", "locked": True},
    {"key": "free", "kind": "counter", "label": "Free"},
]}


@pytest.fixture(scope="module")
def server(workdir):
    srv = Server(workdir, {"CHORUS_STORE": "memory://", "CHORUS_API_TOKEN": API_TOKEN}).start()
    yield srv
    srv.stop()


@pytest.fixture
def defined(server):
    """A new room with BOARD defined through the API; (room, presenter token)."""
    room = "board-" + uuid.uuid4().hex[:8]
    token = create_room(server.url, room)
    reply = put_board(server, room, token, BOARD)
    assert reply.status_code == 200, reply.text
    return room, token


def put_board(server, room: str, token: str | None, body) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = body if isinstance(body, str) else None
    return requests.put(f"{server.url}/api/rooms/{room}/board", data=data,
                        json=None if data is not None else body, headers=headers)


def sync_client(server, room: str | None = None) -> SyncClient:
    """A /sync client; with ``room``, it loaded the room page first and has a device cookie."""
    client = SyncClient(server.url)
    if room:
        client.http.get(f"{server.url}/r/{room}").raise_for_status()
    return client.connect()


def test_the_board_api_needs_the_presenter_token(server):
    room = "board-" + uuid.uuid4().hex[:8]
    token = create_room(server.url, room)
    for given in (None, "wrong", API_TOKEN):
        reply = put_board(server, room, given, BOARD)
        assert reply.status_code in (401, 403), reply.text
        assert reply.json()["error"]["code"] == "forbidden"
        assert requests.get(f"{server.url}/api/rooms/{room}/board",
                            headers={"Authorization": f"Bearer {given}"}).status_code == 403
    got = requests.get(f"{server.url}/api/rooms/{room}/board",
                       headers={"Authorization": f"Bearer {token}"}).json()
    assert got == {"ok": True, "room": room, "controls": [], "pending": []}


@pytest.mark.parametrize(("body", "path", "status"), [
    ("{not json", "$", 400),
    ([], "$", 400),
    ({"controls": [], "extra": 1}, "extra", 400),
    ({"controls": [{"key": "a", "kind": "dial"}]}, "controls[0].kind", 400),
    ({"controls": [{"key": "a b", "kind": "toggle"}]}, "controls[0].key", 400),
    ({"controls": [{"key": "a", "kind": "toggle"},
                   {"key": "b", "kind": "slider", "min": 5, "max": 1}]}, "controls[1].max", 400),
    ({"controls": [{"key": "a", "kind": "toggle", "label": "x" * 41}]}, "controls[0].label",
     400),
    ({"controls": [{"key": "a", "kind": "toggle", "mode": "average"}]}, "controls[0].mode", 400),
    ({"controls": [{"key": "a", "kind": "text", "start": "long", "max_length": 2}]},
     "controls[0].start", 400),
    ({"controls": [{"key": "a", "kind": "toggle"}, {"key": "a", "kind": "toggle"}]},
     "controls[1].key", 400),
    ({"controls": [{"key": f"k{n}", "kind": "toggle"} for n in range(25)]}, "controls", 413),
])
def test_a_bad_board_is_refused_with_the_path_and_nothing_changes(server, defined, body, path,
                                                                  status):
    room, token = defined
    reply = put_board(server, room, token, body)
    assert reply.status_code == status, reply.text
    error = reply.json()["error"]
    assert error["path"] == path and error["message"].startswith(path), error
    kept = requests.get(f"{server.url}/api/rooms/{room}/board",
                        headers={"Authorization": f"Bearer {token}"}).json()
    assert [c["key"] for c in kept["controls"]] == [c["key"] for c in BOARD["controls"]]


def test_modes_hold_for_the_audience_and_not_for_the_presenter(server, defined):
    room, token = defined
    phone, script, host = sync_client(server, room), sync_client(server), sync_client(server)
    try:
        values = phone.join(room)["values"]
        assert values["title"]["value"] == "Hi" and values["lamp"]["value"] is False
        assert script.join(room)["ok"]
        for client in (phone, script):
            for event, data in (("set", {"value": "x"}), ("delete", {}), ("incr", {"by": 1})):
                ack = client.call(event, {"room": room, "key": "title", **data})
                assert ack["ok"] is False and ack["error"]["code"] == "forbidden", ack
            ack = client.call("set", {"room": room, "key": "lamp", "value": True})
            assert ack["error"]["code"] == "forbidden", ack
        assert phone.call("incr", {"room": room, "key": "free", "by": 2})["ok"]  # open
        assert host.call("join", {"room": room, "token": "nope"})["error"]["code"] == "forbidden"
        assert host.join(room, token=token)["ok"]
        assert host.call("set", {"room": room, "key": "title", "value": "Bye"})["ok"]
        api = requests.put(f"{server.url}/api/rooms/{room}/values/lamp", json={"value": True},
                           headers={"Authorization": f"Bearer {API_TOKEN}"})
        assert api.json()["ok"], api.text  # the HTTP API counts as the presenter
        now = script.join(room)["values"]
        assert now["title"]["value"] == "Bye" and now["lamp"]["value"] is True
    finally:
        for client in (phone, script, host):
            client.disconnect()


def test_an_averaged_slider_counts_each_device_once(server, defined):
    room, _token = defined
    phones = [sync_client(server, room) for _ in range(3)]
    try:
        for phone in phones:
            assert phone.join(room)["ok"]
        for phone, value in zip(phones, (2, 4, 4), strict=True):
            ack = phone.call("set", {"room": room, "key": "mood", "value": value})
            assert ack["ok"] and "version" in ack, ack
        again = phones[0].call("set", {"room": room, "key": "mood", "value": 10})
        assert again["value"] == {"mean": 6, "count": 3}, again  # its latest value counts
        bad = phones[1].call("set", {"room": room, "key": "mood", "value": 11})
        assert bad["error"]["code"] == "bad_request", bad
        assert phones[2].join(room)["values"]["mood"]["value"] == {"mean": 6, "count": 3}
    finally:
        for phone in phones:
            phone.disconnect()


def test_a_moderated_text_waits_for_the_presenter(server, defined):
    room, token = defined
    phone, watcher = sync_client(server, room), sync_client(server)
    host = AudienceClient(server.url, "/board")
    host.sio.on("board", host._recorder("board"), namespace="/board")
    try:
        assert phone.join(room)["ok"] and watcher.join(room)["ok"]
        joined = host.call("join", {"room": room, "token": token})
        assert joined["ok"] and joined["pending"] == [] and len(joined["controls"]) == 5
        held = phone.call("set", {"room": room, "key": "note", "value": "Great talk"})
        assert held == {"ok": True, "pending": True, "id": held["id"]}, held
        assert phone.call("set", {"room": room, "key": "note", "value": "x" * 21}
                          )["error"]["code"] == "bad_request"
        host.wait_for(lambda: any(v.get("pending") for v in host.received("board")),
                      what="the held text")
        audience = AudienceClient(server.url, "/board")
        try:
            assert audience.call("join", {"room": room})["ok"]
            refused = audience.call("approve", {"room": room, "id": held["id"]})
            assert refused["error"]["code"] == "forbidden", refused
        finally:
            audience.close()
        assert watcher.join(room)["values"]["note"]["value"] == ""
        approved = host.call("approve", {"room": room, "id": held["id"]})
        assert approved["ok"], approved
        watcher.wait_for(lambda: any(c["key"] == "note" and c["value"] == "Great talk"
                                     for _, b in watcher.events if _ == "changes"
                                     for c in b["changes"]))
        assert host.call("approve", {"room": room, "id": held["id"]})["ok"] is False
        second = phone.call("set", {"room": room, "key": "note", "value": "Meh"})
        assert host.call("reject", {"room": room, "id": second["id"]})["ok"]
        assert watcher.join(room)["values"]["note"]["value"] == "Great talk"
    finally:
        host.close()
        phone.disconnect()
        watcher.disconnect()
