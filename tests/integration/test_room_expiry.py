"""Rooms that one script cannot use up: filled to CHORUS_MAX_ROOMS, the store frees the rooms
nobody is in once they have been idle for CHORUS_ROOM_TTL, on every backend.

Each backend gets one real gunicorn with a TTL of two seconds and room for four rooms: the demo
room (kept whatever its age), a room claimed on the landing page, a room a client stays
connected to, and one the script writes. The script's next room is refused, then accepted once
the sweep has removed the idle ones; the connected room and the demo keep their values, and the
claimed name can be created again.
"""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from tests.support import RedisServer, Server, SyncClient

TTL = 2.0


@pytest.fixture(scope="module", params=["memory", "sqlite", "redis"])
def expiring(request, workdir):
    redis_server = None
    if request.param == "memory":
        store = "memory://"
    elif request.param == "sqlite":
        store = f"sqlite:///{workdir}/expiry-{uuid.uuid4().hex[:6]}.db"
    else:
        redis_server = RedisServer(workdir).start()
        store = redis_server.url
    srv = Server(workdir, {"CHORUS_STORE": store, "CHORUS_ROOM_TTL": str(TTL),
                           "CHORUS_MAX_ROOMS": "4"}).start()
    yield srv
    srv.stop()
    if redis_server is not None:
        redis_server.stop()


def write(url: str, room: str, value: int) -> dict:
    client = SyncClient(url).connect()
    try:
        client.join(room)
        return client.call("set", {"room": room, "key": "k", "value": value})
    finally:
        client.disconnect()


def eventually(attempt, what: str, timeout: float = 20 * TTL):
    """Retry ``attempt`` until it returns something true; a refusal before that is expected."""
    deadline = time.monotonic() + timeout
    while True:
        result = attempt()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.1)


def test_rooms_filled_to_the_cap_are_freed_by_expiry(expiring):
    url = expiring.url
    tag = uuid.uuid4().hex[:6]
    claimed, kept, squat, late = (f"{name}-{tag}" for name in ("claimed", "kept", "squat",
                                                                "late"))
    created = requests.post(url + "/rooms", data={"room": claimed}, allow_redirects=False,
                            timeout=10)
    assert created.status_code == 303
    old_token = created.cookies["chorus_presenter"]
    keeper = SyncClient(url).connect()  # stays in its room for the whole test
    try:
        keeper.join(kept)
        assert keeper.call("set", {"room": kept, "key": "k", "value": "here"})["ok"]
        assert write(url, squat, 1)["ok"]  # demo, claimed, kept, squat: the store is full
        full = write(url, late, 2)
        assert full["ok"] is False and full["error"]["code"] == "too_large", full
        refused = requests.post(url + "/rooms", data={"room": "more-" + tag},
                                allow_redirects=False, timeout=10)
        assert refused.status_code == 413 and "chorus_presenter" not in refused.cookies

        # The sweep removes the idle rooms; the script's next room then fits.
        eventually(lambda: write(url, late, 3)["ok"], "a new room accepted after expiry")

        assert keeper.call("incr", {"room": kept, "key": "n", "by": 1})["ok"]
        kept_state = requests.get(f"{url}/api/rooms/{kept}", timeout=10).json()
        assert kept_state["values"]["k"]["value"] == "here"  # a connected room stays
        demo = requests.get(f"{url}/api/rooms/demo", timeout=10).json()
        assert demo["values"]["volume"]["value"] == 50  # the demo room is kept
        eventually(lambda: requests.get(f"{url}/api/rooms/{squat}", timeout=10
                                        ).json()["version"] == 0, "the script's room removed")
        # The claim is freed: the old token runs nothing, and the name can be created again.
        stale = requests.get(f"{url}/present/{claimed}", cookies={"chorus_presenter": old_token},
                             timeout=10)
        assert stale.status_code == 403
        again = eventually(lambda: _created(url, claimed), "the claimed name created again")
        assert again.cookies["chorus_presenter"] != old_token
    finally:
        keeper.disconnect()
    assert "expired" in expiring.log()


def _created(url: str, room: str) -> requests.Response | None:
    reply = requests.post(url + "/rooms", data={"room": room}, allow_redirects=False, timeout=10)
    return reply if reply.status_code == 303 else None
