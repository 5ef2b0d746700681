"""The ``/poll`` namespace: the presenter opens, closes and reveals polls, and steps through
the room's deck; devices answer, and in a quiz pick a nickname and see their score.

Events (all acknowledged, see docs/audience.md): join, leave, open, answer, close, reveal,
next, reset_scores (presenter), moderate, remove_word (presenter or co-host), nickname, me.
Server -> client: ``poll``, the current poll and, when visible to that client, its results
(and the leaderboard after a quiz question).
"""

from __future__ import annotations

from typing import Any

from app.audience.decks import Decks
from app.audience.polls import Polls
from app.audience.quiz import clean_nickname
from app.namespaces.audience import AudienceNamespace, Listener
from app.transport.ratelimit import RateLimit


class PollNamespace(AudienceNamespace):
    """Live polls, decks and quizzes of a room."""

    events = frozenset({"join", "leave", "open", "answer", "close", "reveal", "next",
                        "moderate", "remove_word", "reset_scores", "nickname", "me"})

    def __init__(self, polls: Polls, decks: Decks, **parts: Any) -> None:
        super().__init__("/poll", **parts)
        self.polls = polls
        self.decks = decks
        self.answer_limit = RateLimit(rate=2, burst=10, what="answers")
        self.nickname_limit = RateLimit(rate=1, burst=5, what="nickname changes")

    def view(self, room: str, presenter: bool, listener: Listener) -> dict:
        view = self.polls.view(room, presenter)
        shown = {key: view[key] for key in ("poll", "results", "now", "leaderboard", "finale")
                 if key in view}
        shown["mine"] = self.polls.mine(room, view["poll"], listener.device)
        shown["me"] = self.polls.quiz.me(room, listener.device, view["poll"])
        if presenter:
            shown["deck"] = self.decks.status(room)
        return shown

    def on_open(self, sid: str, data: Any) -> dict:
        """Presenter: open a poll of any kind (choice, cloud, scale, text, ranking, quiz)."""
        _, room, data = self.presenting(sid, data)
        poll = self.polls.open(room, data)
        self.feed.changed(room)
        return {"ok": True, "poll": poll}

    def on_next(self, sid: str, data: Any) -> dict:
        """Presenter: launch the deck's next question; past the last, show the final board."""
        _, room, data = self.presenting(sid, data)
        place, item = self.decks.advance(room)
        if item is None:
            self.polls.finish(room)
            self.feed.changed(room)
            return {"ok": True, "poll": None, "finished": True, "deck": self.decks.status(room)}
        poll = self.polls.open(room, item)
        self.feed.changed(room)
        return {"ok": True, "poll": poll, "finished": False, "place": place,
                "deck": self.decks.status(room)}

    def on_answer(self, sid: str, data: Any) -> dict:
        """Answer the open poll; answering again replaces this device's earlier answer."""
        listener, room, data = self.joined(sid, data)
        device = self.device(listener)
        self.answer_limit.take(device)
        choice = self.polls.answer(room, device, data.get("poll"), data.get("answer"))
        self.feed.changed(room)
        return {"ok": True, "poll": data["poll"], "mine": choice}

    def on_close(self, sid: str, data: Any) -> dict:
        """Presenter: close a poll; its results stay available."""
        _, room, data = self.presenting(sid, data)
        poll = self.polls.close(room, data.get("poll"))
        self.feed.changed(room)
        return {"ok": True, "poll": poll}

    def on_reveal(self, sid: str, data: Any) -> dict:
        """Presenter: show (``revealed: true``) or hide the results from the audience."""
        _, room, data = self.presenting(sid, data)
        poll = self.polls.reveal(room, data.get("poll"), data.get("revealed", True))
        self.feed.changed(room)
        return {"ok": True, "poll": poll}

    def on_moderate(self, sid: str, data: Any) -> dict:
        """Presenter or co-host: show (``shown: true``) or reject one answer of a text poll."""
        _, room, data = self.moderating(sid, data)
        entry = self.polls.moderate(room, data.get("poll"), data.get("id"),
                                    data.get("shown", True))
        self.feed.changed(room)
        return {"ok": True, "answer": entry}

    def on_remove_word(self, sid: str, data: Any) -> dict:
        """Presenter or co-host: take ``word`` off a word cloud, or mask it in open answers,
        for everyone."""
        _, room, data = self.moderating(sid, data)
        removed = self.polls.remove_word(room, data.get("poll"), data.get("word"))
        self.feed.changed(room)
        return {"ok": True, "poll": data["poll"], "removed": removed}

    def on_reset_scores(self, sid: str, data: Any) -> dict:
        """Presenter: every quiz score back to 0."""
        _, room, data = self.presenting(sid, data)
        self.polls.quiz.reset_scores(room)
        self.feed.changed(room)
        return {"ok": True}

    def on_nickname(self, sid: str, data: Any) -> dict:
        """Choose this device's nickname for the quiz; a taken one is ``conflict``."""
        listener, room, data = self.joined(sid, data)
        device = self.device(listener)
        nickname = clean_nickname(data.get("nickname"))  # bad input is refused before a limit
        self.nickname_limit.take(device)
        nickname = self.polls.quiz.set_nickname(room, device, nickname)
        self.feed.changed(room)
        return {"ok": True, "nickname": nickname}

    def on_me(self, sid: str, data: Any) -> dict:
        """This device's nickname, points and rank, and its points for the current question."""
        listener, room, _ = self.joined(sid, data)
        return {"ok": True, **self.polls.quiz.me(room, listener.device, self.polls.current(room))}
