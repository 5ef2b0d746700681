"""500 devices vote, or answer a quiz question, at once on one process: counted exactly, and
every quiz score exactly what its device was told."""

from __future__ import annotations

from collections import Counter

from tests.audience_support import (
    AudienceClient,
    assert_quiz_exact,
    create_room,
    device_session,
)
from tests.voters import quiz_at_once, vote_at_once


def test_five_hundred_votes_at_once_are_counted_exactly(server):
    room = "hall"
    token = create_room(server.url, room)
    host = AudienceClient(server.url, "/poll", device_session(server.url, room))
    try:
        host.call("join", {"room": room, "token": token})
        poll = host.call("open", {"room": room, "kind": "choice", "question": "Pick one",
                                  "options": ["a", "b", "c", "d"]})["poll"]
        choices = vote_at_once([server.url], room, poll["id"], 500, 4)
        expected = Counter(choices)
        results = host.call("join", {"room": room, "token": token})["results"]
        assert results["total"] == 500
        assert results["counts"] == [expected[i] for i in range(4)]
        host.wait_for(lambda: any((p["results"] or {}).get("total") == 500
                                  for p in host.received("poll")), what="500 on the screen")
    finally:
        host.close()


def test_five_hundred_quiz_answers_at_once_are_counted_and_scored_exactly(server):
    room = "quiz-hall"
    token = create_room(server.url, room)
    host = AudienceClient(server.url, "/poll", device_session(server.url, room))
    try:
        host.call("join", {"room": room, "token": token})
        quiz = host.call("open", {"room": room, "kind": "quiz", "question": "Which one?",
                                  "options": ["a", "b", "c", "d"], "correct": 2,
                                  "seconds": 300})["poll"]
        played = quiz_at_once([server.url], room, quiz["id"], 500, 4)
        assert_quiz_exact(server.url, room, token, host, played, correct=2)
    finally:
        host.close()

