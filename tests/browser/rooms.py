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


def stage_room(base: str, room: str, kind: str = "choice") -> Staged:
    """Create ``room`` and fill it: a ``kind`` poll answered twice, revealed; two questions."""
    token = create_room(base, room)
    presenter = AudienceClient(base, "/poll")
    questions = AudienceClient(base, "/qa")
    voters = [AudienceClient(base, "/poll", device_session(base, room)) for _ in range(2)]
    try:
        assert presenter.call("join", {"room": room, "token": token})["ok"]
        question, options = "Welches Framework?", ["Flask", "Django", "Pyramid"]
        asked = {"room": room, "kind": kind, "question": question}
        if kind == "choice":
            asked["options"] = options
        opened = presenter.call("open", asked)
        assert opened["ok"], opened
        poll = opened["poll"]["id"]
        answers = {"choice": [0, 1], "scale": [4, 5], "cloud": ["Gevent", "gevent"]}[kind]
        for voter, answer in zip(voters, answers, strict=True):
            assert voter.call("join", {"room": room})["ok"]
            assert voter.call("answer", {"room": room, "poll": poll, "answer": answer})["ok"]
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
    return Staged(room, token, (room, question, *options, "Gevent", "gevent", "Ada",
                                "Wie skaliert das?", "Und mit Redis?"))
