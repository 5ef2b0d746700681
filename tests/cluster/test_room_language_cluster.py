"""The room's language across two processes sharing Redis: set on one instance, every page
loaded from the other speaks it, and the pages open on the other hear it at once."""

from __future__ import annotations

import re

import pytest
import requests

from tests.audience_support import AudienceClient, create_room, device_session
from tests.support import RedisServer, Server


@pytest.fixture(scope="module")
def pair(workdir):
    redis = RedisServer(workdir).start()
    servers = [Server(workdir, {"CHORUS_STORE": redis.url}).start() for _ in range(2)]
    yield servers
    for server in servers:
        server.stop()
    redis.stop()


def page_lang(url: str) -> str:
    page = requests.get(url, headers={"Accept-Language": "en"}, timeout=10)
    return re.search(r'<html lang="([^"]+)"', page.text)[1]


def test_language_set_on_one_instance_reaches_the_other(pair):
    one, two = pair
    room = "zwei-saele"
    token = create_room(one.url, room)
    phone = AudienceClient(two.url, "/pulse", device_session(two.url, room))
    try:
        phone.sio.on("language", phone._recorder("language"), namespace="/pulse")
        assert phone.call("join", {"room": room})["ok"]
        assert page_lang(f"{two.url}/r/{room}") == "en"
        done = requests.put(f"{one.url}/api/rooms/{room}/language", json={"locale": "de"},
                            headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert done.status_code == 200, done.text
        assert page_lang(f"{two.url}/r/{room}") == "de"  # the store, shared
        phone.wait_for(lambda: phone.received("language"), what="the language event")
        assert phone.received("language") == [{"room": room, "locale": "de"}]
    finally:
        phone.close()
