"""500 devices vote at once across two processes sharing Redis: exactly 500, seen by both."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.audience_support import AudienceClient, create_room, device_session
from tests.support import RedisServer, Server
from tests.voters import vote_at_once


@pytest.fixture(scope="module")
def pair(workdir):
    redis = RedisServer(workdir).start()
    servers = [Server(workdir, {"CHORUS_STORE": redis.url}).start() for _ in range(2)]
    yield servers
    for server in servers:
        server.stop()
    redis.stop()


def test_votes_across_two_processes_are_exact(pair):
    one, two = pair
    room = "two-halls"
    token = create_room(one.url, room)
    screens = []
    try:
        for server in pair:  # a presenter screen on each process
            screen = AudienceClient(server.url, "/poll", device_session(server.url, room))
            screens.append(screen)
            assert screen.call("join", {"room": room, "token": token})["presenter"]
        poll = screens[0].call("open", {"room": room, "kind": "scale",
                                        "question": "How loud?"})["poll"]
        choices = vote_at_once([one.url, two.url], room, poll["id"], 500, 5, first=1)
        expected = Counter(choices)
        for screen in screens:
            screen.wait_for(lambda s=screen: any((p["results"] or {}).get("total") == 500
                                                 for p in s.received("poll")),
                            timeout=20, what="500 on both screens")
            results = screen.call("join", {"room": room, "token": token})["results"]
            assert results["counts"] == [expected[n] for n in range(1, 6)]
    finally:
        for screen in screens:
            screen.close()
