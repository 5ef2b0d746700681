"""500 devices vote, or answer a quiz question, at once across two processes sharing Redis:
exactly 500, seen by both, and every quiz score exact."""

from __future__ import annotations

from collections import Counter

import pytest
import requests

from tests.audience_support import (
    AudienceClient,
    assert_quiz_exact,
    create_room,
    device_session,
)
from tests.support import RedisServer, Server
from tests.voters import quiz_at_once, vote_at_once


@pytest.fixture(scope="module")
def pair(workdir):
    # A one-node Redis Cluster: every script and multi-key command of the store, the hashes
    # and shared presence must keep its keys in one hash slot, or it fails here (CROSSSLOT).
    redis = RedisServer(workdir).as_cluster_node()
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


def test_quiz_answers_across_two_processes_are_counted_and_scored_exactly(pair):
    """A deck imported on one instance is run from the other; 500 devices on both answer its
    quiz question at once: the tally and every score are exact, on both."""
    one, two = pair
    room = "two-halls-quiz"
    token = create_room(one.url, room)
    deck = {"version": 1, "items": [{"kind": "quiz", "question": "Which one?",
                                     "options": ["a", "b", "c", "d"], "correct": 3,
                                     "seconds": 300}]}
    reply = requests.put(f"{one.url}/api/rooms/{room}/deck", json=deck,
                         headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 200, reply.text
    screens = []
    try:
        for server in pair:
            screen = AudienceClient(server.url, "/poll", device_session(server.url, room))
            screens.append(screen)
            assert screen.call("join", {"room": room, "token": token})["deck"]["count"] == 1
        quiz = screens[1].call("next", {"room": room})["poll"]
        assert quiz["kind"] == "quiz"
        played = quiz_at_once([one.url, two.url], room, quiz["id"], 500, 4)
        for server, screen in zip(pair, screens, strict=True):
            assert_quiz_exact(server.url, room, token, screen, played, correct=3)
            screen.wait_for(lambda s=screen: any((p["results"] or {}).get("total") == 500
                                                 for p in s.received("poll")),
                            timeout=20, what="500 answers on both screens")
        assert screens[0].call("next", {"room": room})["finished"] is True
    finally:
        for screen in screens:
            screen.close()
