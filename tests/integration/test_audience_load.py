"""500 devices vote at once on one process: the tally is exactly 500."""

from __future__ import annotations

from collections import Counter

from tests.audience_support import AudienceClient, create_room, device_session
from tests.voters import vote_at_once


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
