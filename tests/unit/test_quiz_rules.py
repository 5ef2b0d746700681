"""The quiz's rules, the deck schema and the average rank as plain functions over the memory
hashes, with a clock the test moves: the timer's end is exact to the instant."""

from __future__ import annotations

import json

import pytest

from app.audience.deck_schema import MAX_ITEMS, parse_deck
from app.audience.polls import Polls, _average_ranks
from app.audience.quiz import Quiz, points_for
from app.audience.texts import Texts
from app.state.errors import ChorusError
from app.state.memory_hashes import MemoryHashes


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


QUESTION = {"id": 1, "kind": "quiz", "question": "Q", "options": ["a", "b", "c"],
            "open": True, "revealed": False, "opened_at": 100.0, "correct": 2, "seconds": 20,
            "closes_at": 120.0}


@pytest.fixture
def quiz():
    clock = Clock(100.0)
    return Quiz(MemoryHashes(), clock), clock


def test_points_reward_right_and_fast_answers():
    assert points_for(True, 20, 20) == 1000
    assert points_for(True, 10, 20) == 750
    assert points_for(True, 0.001, 20) == 500
    assert points_for(False, 20, 20) == 0
    assert points_for(True, 25, 20) == 1000  # a clock step never gives more than the maximum


def test_the_server_clock_ends_the_question_exactly(quiz):
    game, clock = quiz
    clock.now = 119.999
    assert game.answer("r", "early", QUESTION, 2) == "2"
    clock.now = 120.0
    with pytest.raises(ChorusError) as late:
        game.answer("r", "late", QUESTION, 2)
    assert late.value.code == "bad_request" and late.value.extra == {"closed": True}
    assert game.results("r", QUESTION) == {"total": 1, "counts": [0, 0, 1], "right": 1}
    assert game.me("r", "early", QUESTION) == {"nickname": None, "points": 500, "rank": 1,
                                                "earned": 500}
    assert game.me("r", "late", QUESTION)["earned"] is None


def test_one_final_answer_per_device_and_scores_add_up(quiz):
    game, clock = quiz
    clock.now = 110.0
    game.answer("r", "ada", QUESTION, 2)
    with pytest.raises(ChorusError, match="already"):
        game.answer("r", "ada", QUESTION, 1)
    game.answer("r", "bob", QUESTION, 0)
    second = {**QUESTION, "id": 2, "opened_at": 200.0, "closes_at": 220.0}
    clock.now = 200.0
    game.answer("r", "bob", second, 2)
    assert game.me("r", "ada", second)["points"] == 750
    assert game.me("r", "bob", second) == {"nickname": None, "points": 1000, "rank": 1,
                                            "earned": 1000}
    assert game.results("r", QUESTION)["counts"] == [1, 0, 1]


def test_nicknames_are_unique_without_case_and_ranks_are_shared(quiz):
    game, clock = quiz
    assert game.set_nickname("r", "ada", "  Ada   L ") == "Ada L"
    with pytest.raises(ChorusError) as taken:
        game.set_nickname("r", "bob", "ada l")
    assert taken.value.code == "conflict"
    assert game.set_nickname("r", "ada", "ADA L") == "ADA L"  # the same device may restyle it
    game.set_nickname("r", "bob", "Bob")
    game.set_nickname("r", "cy", "Cy")
    clock.now = 110.0
    game.answer("r", "bob", QUESTION, 2)
    assert game.leaderboard("r") == [{"rank": 1, "nickname": "Bob", "points": 750},
                                     {"rank": 2, "nickname": "ADA L", "points": 0},
                                     {"rank": 2, "nickname": "Cy", "points": 0}]
    game.reset_scores("r")
    assert [row["points"] for row in game.leaderboard("r")] == [0, 0, 0]
    for bad, code in (("", "bad_request"), (None, "bad_request"), ("x" * 25, "too_large")):
        with pytest.raises(ChorusError) as refused:
            game.set_nickname("r", "dan", bad)
        assert refused.value.code == code


def test_the_average_rank_counts_whole_orders():
    assert _average_ranks(3, {"0,1,2": 2, "2,1,0": 1}, 3) == \
        {"total": 3, "ranks": [1.67, 2.0, 2.33], "order": [0, 1, 2]}
    assert _average_ranks(2, {}, 0) == {"total": 0, "ranks": [None, None], "order": [0, 1]}


def test_a_quiz_question_hides_its_answer_from_the_audience_until_revealed():
    hashes = MemoryHashes()
    polls = Polls(hashes, Quiz(hashes), Texts(hashes))
    opened = polls.open("r", {"kind": "quiz", "question": "Q", "options": ["a", "b"],
                              "correct": 1, "seconds": 30})
    assert opened["revealed"] is False and opened["closes_at"] - opened["opened_at"] == 30
    assert "correct" not in polls.view("r", False)["poll"]
    assert polls.view("r", False)["results"] is None
    assert polls.view("r", True)["poll"]["correct"] == 1
    polls.reveal("r", opened["id"], True)
    shown = polls.view("r", False)
    assert shown["poll"]["correct"] == 1 and shown["poll"]["open"] is False
    assert shown["leaderboard"] == []


@pytest.mark.parametrize("document,path", [
    (None, "$"),
    ({"version": 2, "items": []}, "version"),
    ({"version": True, "items": []}, "version"),
    ({"version": 1, "items": {}}, "items"),
    ({"version": 1, "items": [], "extra": 1}, "extra"),
    ({"version": 1, "title": 5, "items": []}, "title"),
    ({"version": 1, "items": [7]}, "items[0]"),
    ({"version": 1, "items": [{"kind": "cloud", "question": "Q", "options": ["a", "b"]}]},
     "items[0].options"),
    ({"version": 1, "items": [{"kind": "choice", "question": "Q", "options": ["a"]}]},
     "items[0].options"),
    ({"version": 1, "items": [{"kind": "choice", "question": "Q", "options": ["a", 2]}]},
     "items[0].options[1]"),
    ({"version": 1, "items": [{"kind": "scale", "question": "Q", "seconds": 10}]},
     "items[0].seconds"),
    ({"version": 1, "items": [{"kind": "quiz", "question": "Q", "options": ["a", "b"],
                               "correct": True}]}, "items[0].correct"),
    ({"version": 1, "items": [{"kind": "scale", "question": "Q", "hidden": "yes"}]},
     "items[0].hidden"),
    ({"version": 1, "items": [{"kind": "scale", "question": "Q"}] * (MAX_ITEMS + 1)}, "items"),
])
def test_a_bad_deck_names_its_first_bad_field(document, path):
    with pytest.raises(ChorusError) as refused:
        parse_deck(document)
    assert refused.value.extra == {"path": path}
    assert refused.value.ack()["error"]["path"] == path


def test_a_good_deck_is_normalised():
    deck = parse_deck(json.loads('{"version": 1, "items": [{"kind": "quiz", "question": " Q ",'
                                 ' "options": ["a ", "b"], "correct": 0}, {"kind": "text",'
                                 ' "question": "T", "hidden": false}]}'))
    assert deck == {"version": 1, "title": "", "items": [
        {"kind": "quiz", "question": "Q", "options": ["a", "b"], "correct": 0, "seconds": 20},
        {"kind": "text", "question": "T"}]}
