"""Put audience mode together: its services over the shared hashes, and the feeds that send
what changed.

Called by ``create_app`` after the rooms are built, with the same emit helper and cluster, so
polls, questions and pace follow the same rules as the rooms' batches: built from the store,
sent locally once per interval, other processes told. The factory then gives these parts to the
audience namespaces (app/namespaces/poll.py, qa.py, pulse.py), which sit above this layer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.audience.board import Boards
from app.audience.board_policy import BoardPolicy
from app.audience.decks import Decks
from app.audience.feed import Feed
from app.audience.identity import DeviceIds
from app.audience.polls import Polls
from app.audience.presenters import Presenters
from app.audience.pulse import Pulse
from app.audience.questions import Questions
from app.audience.quiz import Quiz
from app.audience.texts import Texts
from app.audience.wordfilter import WordFilter
from app.cluster.notices import Cluster
from app.state.hashes import Hashes
from app.sync.coalescer import Coalescer

POLL_INTERVAL = 0.25
QA_INTERVAL = 0.5
PACE_INTERVAL = 1.0
BOARD_INTERVAL = 0.25


@dataclass
class Audience:
    """The parts namespaces, views and pages need."""

    presenters: Presenters
    devices: DeviceIds
    polls: Polls
    decks: Decks
    questions: Questions
    pulse: Pulse
    poll_feed: Feed
    qa_feed: Feed
    pace_feed: Feed
    boards: Boards
    board_policy: BoardPolicy
    board_feed: Feed


def build_audience(hashes: Hashes, secret: str, cluster: Cluster,
                   coalescer_for: Callable[..., Coalescer],
                   emit: Callable[[str, str, dict, str, bool], None]) -> Audience:
    """Build audience mode; ``emit(namespace, event, data, room, everywhere)``."""
    presenters = Presenters(hashes)
    devices = DeviceIds(secret)
    words = WordFilter()  # one set of word lists for open answers, clouds and questions
    polls, questions = Polls(hashes, Quiz(hashes), Texts(hashes, words)), Questions(hashes, words)
    decks = Decks(hashes)
    pulse = Pulse(hashes, lambda event, data, room: emit("/pulse", event, data,
                                                         room + "#present", True),
                  coalescer_for)

    def feed(kind: str, namespace: str, interval: float, build) -> Feed:
        made = Feed(build, lambda event, data, room: emit(namespace, event, data, room, False),
                    coalescer_for, interval, tell_others=cluster.teller(kind))
        cluster.listen(kind, made.changed_elsewhere, made.resync)
        return made

    poll_feed = feed("poll", "/poll", POLL_INTERVAL, lambda room: [
        (room, "poll", public(polls.view(room, False))),
        (room + "#present", "poll", {**public(polls.view(room, True)),
                                     "deck": decks.status(room)})])
    qa_feed = feed("qa", "/qa", QA_INTERVAL, lambda room: [
        (room, "questions", questions.view(room, False)),
        (room + "#present", "questions", questions.view(room, True))])
    pace_feed = feed("pace", "/pulse", PACE_INTERVAL, lambda room: [
        (room + "#present", "pace", pulse.pace(room))])
    boards = Boards(hashes)
    board_feed = Feed(lambda room: [(room, "board", boards.view(room, False)),
                                    (room + "#present", "board", boards.view(room, True))],
                      lambda event, data, room: emit("/board", event, data, room, False),
                      coalescer_for, BOARD_INTERVAL, tell_others=cluster.teller("board"))
    boards.changed = board_feed.changed

    def board_elsewhere(room: str) -> None:  # another process changed it: our copy is stale
        boards.forget_cached(room)
        board_feed.changed_elsewhere(room)

    cluster.listen("board", board_elsewhere, board_feed.resync)
    return Audience(presenters, devices, polls, decks, questions, pulse, poll_feed, qa_feed,
                    pace_feed, boards, BoardPolicy(boards, presenters, devices), board_feed)


def public(view: dict) -> dict:
    """The parts of a poll view that are sent as the ``poll`` event."""
    return {key: view[key] for key in ("room", "poll", "results", "now", "leaderboard", "finale")
            if key in view}
