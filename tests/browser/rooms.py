"""A room in full swing for the page-wide checks (axe-core, the German text walk): a poll with
answers and results shown, questions (one answered), reactions and pace, all made by real
Socket.IO clients so every part of every page has something to draw."""

from __future__ import annotations

from dataclasses import dataclass

from tests.audience_support import AudienceClient, create_room, device_session


@dataclass
class Staged:
    """A room with everything on: its name and presenter token, and the texts put in."""

    room: str
    token: str
    user_texts: tuple[str, ...]

    def presenter_url(self, base: str, created: bool = False) -> str:
        """The second device's link: the token in the fragment, traded for the presenter
        cookie by the page (static/enter.js), which then shows the presenter screen."""
        return f"{base}/present/{self.room}{'?created=1' if created else ''}#token={self.token}"


NICKNAMES = ("Grace", "Linus")
KINDS = ("choice", "scale", "cloud", "ranking", "text", "quiz")


def stage_room(base: str, room: str, kind: str = "choice") -> Staged:
    """Create ``room`` and fill it: a ``kind`` poll (any of KINDS) answered twice, revealed
    (a quiz closed first, so the right answer and the leaderboard show); two questions."""
    token = create_room(base, room)
    presenter = AudienceClient(base, "/poll")
    questions = AudienceClient(base, "/qa")
    voters = [AudienceClient(base, "/poll", device_session(base, room)) for _ in range(2)]
    try:
        assert presenter.call("join", {"room": room, "token": token})["ok"]
        question, options = "Welches Framework?", ["Flask", "Django", "Pyramid"]
        asked = {"room": room, "kind": kind, "question": question}
        if kind in ("choice", "ranking", "quiz"):
            asked["options"] = options
        if kind == "quiz":
            asked.update(correct=0, seconds=300)
        opened = presenter.call("open", asked)
        assert opened["ok"], opened
        poll = opened["poll"]["id"]
        answers = {"choice": [0, 1], "scale": [4, 5], "cloud": ["Gevent", "gevent"],
                   "ranking": [[0, 1, 2], [1, 0, 2]], "quiz": [0, 1],
                   "text": ["Schnell genug", "Noch nicht geprüft"]}[kind]
        for voter, answer, nickname in zip(voters, answers, NICKNAMES, strict=True):
            assert voter.call("join", {"room": room})["ok"]
            if kind == "quiz":
                assert voter.call("nickname", {"room": room, "nickname": nickname})["ok"]
            done = voter.call("answer", {"room": room, "poll": poll, "answer": answer})
            assert done["ok"], done
        if kind == "text":  # one answer approved, one still waiting for the presenter
            waiting = presenter.call("join", {"room": room, "token": token})["results"]
            first = next(a for a in waiting["waiting"] if a["text"] == answers[0])
            shown = presenter.call("moderate", {"room": room, "poll": poll, "id": first["id"],
                                                "shown": True})
            assert shown["ok"], shown
        if kind == "quiz":
            assert presenter.call("close", {"room": room, "poll": poll})["ok"]
        assert presenter.call("reveal", {"room": room, "poll": poll, "revealed": True})["ok"]
        assert questions.call("join", {"room": room, "token": token})["ok"]
        asked = [questions.call("ask", {"room": room, "text": text, "name": name})
                 for text, name in (("Wie skaliert das?", "Ada"), ("Und mit Redis?", None))]
        assert all(ack["ok"] for ack in asked), asked
        done = questions.call("answered", {"room": room, "id": asked[1]["question"]["id"],
                                           "answered": True})
        assert done["ok"], done
    finally:
        for client in (presenter, questions, *voters):
            client.close()
    return Staged(room, token, (room, question, *options, *NICKNAMES, "Gevent", "gevent",
                                "Schnell genug", "Noch nicht geprüft", "Ada",
                                "Wie skaliert das?", "Und mit Redis?"))
