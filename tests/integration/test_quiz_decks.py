"""Decks, quizzes, text and ranking polls, and the Q&A and quiz exports, over a real gunicorn
with python-socketio clients, every refusal included."""

from __future__ import annotations

import csv
import io
import json
import signal
import time

import pytest
import requests

from tests.audience_support import AudienceClient, create_room, device_session
from tests.support import Server

DECK = {"version": 1, "title": "Flask at scale", "items": [
    {"kind": "choice", "question": "Which worker?", "options": ["gevent", "sync", "eventlet"]},
    {"kind": "quiz", "question": "Default worker_connections?",
     "options": ["100", "1000", "10000"], "correct": 1, "seconds": 30},
    {"kind": "ranking", "question": "Order these", "options": ["Redis", "SQLite", "memory"]},
]}


ROOM_PREFIX = "quiz"  # rooms of the shared ``room`` fixture (conftest.py)


def phone(server, clients, name, session=None):
    client = AudienceClient(server.url, "/poll", session or device_session(server.url, name))
    clients.append(client)
    assert client.call("join", {"room": name})["ok"]
    return client


def host(server, clients, name, token):
    client = AudienceClient(server.url, "/poll", device_session(server.url, name))
    clients.append(client)
    assert client.call("join", {"room": name, "token": token})["presenter"]
    return client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def put_deck(base_url, name, token, body):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return requests.put(f"{base_url}/api/rooms/{name}/deck", data=data,
                        headers={"Authorization": f"Bearer {token}",
                                 "Content-Type": "application/json"})


def past_deadline(client, name, closes_at):
    """Return once the server's own clock is past ``closes_at`` (server time decides)."""
    left = closes_at - client.call("join", {"room": name})["now"]
    if left > 0:
        time.sleep(left + 0.05)
    assert client.call("join", {"room": name})["now"] > closes_at


def test_a_deck_is_imported_exported_and_run_in_order(server, room, clients):
    name, token = room
    reply = put_deck(server.url, name, token, DECK)
    assert reply.status_code == 200, reply.text
    exported = requests.get(f"{server.url}/api/rooms/{name}/deck", headers=bearer(token))
    assert exported.status_code == 200
    assert exported.json() == DECK
    assert "attachment" in exported.headers["Content-Disposition"]
    screen = host(server, clients, name, token)
    fan = phone(server, clients, name)
    status = screen.call("join", {"room": name, "token": token})["deck"]
    assert (status["count"], status["launched"], status["next"]["question"]) == \
        (3, 0, "Which worker?")
    assert "deck" not in fan.call("join", {"room": name})  # the answers stay with the presenter
    kinds = []
    for _ in range(3):
        ack = screen.call("next", {"room": name})
        assert ack["ok"] and not ack["finished"], ack
        kinds.append((ack["poll"]["kind"], ack["poll"]["question"]))
    assert kinds == [(item["kind"], item["question"]) for item in DECK["items"]]
    last = screen.call("next", {"room": name})
    assert last["finished"] is True and last["deck"]["launched"] == 3
    view = fan.call("join", {"room": name})
    assert view["finale"] is True and view["leaderboard"] == []
    assert view["poll"]["open"] is False
    fan.wait_for(lambda: any(p.get("finale") for p in fan.received("poll")),
                 what="the final board on the phone")


@pytest.mark.parametrize("body,status,path", [
    ("{not json", 400, "$"),
    ("[]", 400, "$"),
    ({"items": []}, 400, "version"),
    ({"version": 1, "items": [{"kind": "choice", "question": "Q", "options": ["a", " "]}]},
     400, "items[0].options[1]"),
    ({"version": 1, "items": [DECK["items"][0], {"kind": "poll", "question": "Q"}]},
     400, "items[1].kind"),
    ({"version": 1, "items": [{"kind": "quiz", "question": "Q", "options": ["a", "b"],
                               "correct": 2}]}, 400, "items[0].correct"),
    ({"version": 1, "items": [{"kind": "quiz", "question": "Q", "options": ["a", "b"],
                               "correct": 0, "seconds": 1}]}, 400, "items[0].seconds"),
    ({"version": 1, "items": [{"kind": "scale", "question": "Q", "corect": 1}]},
     400, "items[0].corect"),
    ({"version": 1, "items": [{"kind": "choice", "question": "Q",
                               "options": [str(n) for n in range(9)]}]},
     413, "items[0].options"),
    ({"version": 1, "items": [{"kind": "cloud", "question": "x" * 201}]},
     413, "items[0].question"),
    ({"version": 1, "items": [{"kind": "scale", "question": "Q"}] * 51}, 413, "items"),
])
def test_a_bad_deck_is_refused_with_the_first_bad_field_and_nothing_kept(
        server, room, body, status, path):
    name, token = room
    assert put_deck(server.url, name, token, DECK).status_code == 200
    reply = put_deck(server.url, name, token, body)
    assert reply.status_code == status, reply.text
    error = reply.json()["error"]
    assert error["path"] == path and path in error["message"]
    kept = requests.get(f"{server.url}/api/rooms/{name}/deck",
                        headers={"Authorization": f"Bearer {token}"}).json()
    assert kept == DECK


@pytest.mark.parametrize("through", ["direct", "nginx"])
def test_a_deck_at_every_limit_is_taken_and_a_larger_file_refused_as_json(request, server,
                                                                          room, through):
    name, token = room
    base = request.getfixturevalue("nginx").url if through == "nginx" else server.url
    item = {"kind": "quiz", "question": "😀" * 200, "options": ["🎉" * 80] * 8, "correct": 7,
            "seconds": 300}
    biggest = {"version": 1, "title": "t" * 200, "items": [item] * 50}
    escaped = json.dumps(biggest)  # every emoji as a \uXXXX\uXXXX pair: the largest spelling
    assert len(escaped) > 500_000
    reply = put_deck(base, name, token, escaped)
    assert reply.status_code == 200, reply.text
    assert reply.json()["deck"] == biggest
    reply = put_deck(base, name, token, b'{"version": 1, "items": [' + b" " * 800_000)
    assert reply.status_code == 413
    assert reply.json()["error"]["code"] == "too_large"
    kept = requests.get(f"{base}/api/rooms/{name}/deck", headers=bearer(token)).json()
    assert kept == biggest


def test_deck_files_need_the_presenter_token(server, room):
    name, token = room
    assert put_deck(server.url, name, token + "x", DECK).status_code == 403
    for path in ("deck", "questions.csv", "quiz.json"):
        reply = requests.get(f"{server.url}/api/rooms/{name}/{path}")
        assert reply.status_code == 403 and reply.json()["error"]["code"] == "forbidden"
    assert requests.get(f"{server.url}/api/rooms/{name}/deck", headers=bearer(token)
                        ).json()["items"] == []
    for path in ("deck", "questions.csv", "quiz.json"):  # a token in the URL counts for nothing
        assert requests.get(f"{server.url}/api/rooms/{name}/{path}", params={"token": token}
                            ).status_code == 403
        assert requests.get(f"{server.url}/present/{name}/{path}",
                            cookies={"chorus_presenter": token}).status_code == 200


def test_audience_sockets_cannot_send_presenter_events(server, room, clients):
    name, token = room
    put_deck(server.url, name, token, DECK)
    screen = host(server, clients, name, token)
    screen.call("next", {"room": name})
    text_poll = screen.call("open", {"room": name, "kind": "text", "question": "Ideas?"})["poll"]
    fan = phone(server, clients, name)
    written = fan.call("answer", {"room": name, "poll": text_poll["id"], "answer": "more"})
    assert written["ok"]
    fan.call("nickname", {"room": name, "nickname": "fan"})
    for event, payload in (("next", {}), ("reset_scores", {}),
                           ("moderate", {"poll": text_poll["id"], "id": written["mine"]["id"]}),
                           ("reveal", {"poll": text_poll["id"]}),
                           ("open", {"kind": "scale", "question": "Q"})):
        refused = fan.call(event, {"room": name, **payload})
        assert refused["error"]["code"] == "forbidden", (event, refused)
    view = screen.call("join", {"room": name, "token": token})
    assert view["deck"]["launched"] == 1
    assert view["results"]["shown"] == 0 and view["poll"]["id"] == text_poll["id"]
    assert fan.call("join", {"room": name})["ok"]  # still usable


def test_a_timed_quiz_scores_right_and_fast_answers_and_refuses_late_ones(server, room,
                                                                          clients):
    name, token = room
    screen = host(server, clients, name, token)
    sessions = [device_session(server.url, name) for _ in range(3)]
    ada, bob, cy = (phone(server, clients, name, session) for session in sessions)
    for client, nick in ((ada, "Ada"), (bob, "<b>Bob</b>"), (cy, "Cy")):
        assert client.call("nickname", {"room": name, "nickname": nick})["nickname"] == nick
    quiz = screen.call("open", {"room": name, "kind": "quiz", "question": "2 + 2?",
                                "options": ["3", "4", "5"], "correct": 1, "seconds": 5})["poll"]
    assert quiz["closes_at"] - quiz["opened_at"] == pytest.approx(5)
    seen = ada.call("join", {"room": name})["poll"]
    assert "correct" not in seen and seen["open"] is True  # the answer is not sent early
    assert all("correct" not in (p["poll"] or {}) for p in ada.received("poll"))
    assert ada.call("answer", {"room": name, "poll": quiz["id"], "answer": 1})["mine"] == "1"
    again = ada.call("answer", {"room": name, "poll": quiz["id"], "answer": 0})
    assert again["error"]["code"] == "bad_request" and "already" in again["error"]["message"]
    assert bob.call("answer", {"room": name, "poll": quiz["id"], "answer": 2})["ok"]
    for bad in (3, -1, "1", True, None, [1]):
        refused = cy.call("answer", {"room": name, "poll": quiz["id"], "answer": bad})
        assert refused["error"]["code"] == "bad_request", bad
    past_deadline(cy, name, quiz["closes_at"])
    late = cy.call("answer", {"room": name, "poll": quiz["id"], "answer": 1})
    assert late["error"]["code"] == "bad_request" and late.get("closed") is True
    assert cy.call("join", {"room": name})["poll"]["open"] is False

    screen.call("reveal", {"room": name, "poll": quiz["id"]})
    shown = ada.wait_for(lambda: next((p for p in ada.received("poll")
                                       if (p["poll"] or {}).get("revealed")), None),
                         what="the reveal on a phone")
    assert shown["poll"]["correct"] == 1 and shown["results"]["counts"] == [0, 1, 1]
    assert shown["results"]["right"] == 1
    ada_me = ada.call("me", {"room": name})
    assert 500 < ada_me["earned"] <= 1000 and ada_me["points"] == ada_me["earned"]
    assert ada_me["rank"] == 1 and ada_me["nickname"] == "Ada"
    assert bob.call("me", {"room": name})["earned"] == 0
    assert cy.call("me", {"room": name})["earned"] is None  # never answered
    board = shown["leaderboard"]
    assert board[0] == {"rank": 1, "nickname": "Ada", "points": ada_me["points"]}
    assert {row["nickname"] for row in board[1:]} == {"<b>Bob</b>", "Cy"}
    assert all(row["rank"] == 2 and row["points"] == 0 for row in board[1:])

    # a reconnect (a reload) keeps the score: the device id is the signed cookie
    ada.close()
    back = phone(server, clients, name, device_session_with(server.url, name, sessions[0]))
    assert back.call("join", {"room": name})["me"]["points"] == ada_me["points"]

    assert screen.call("reset_scores", {"room": name})["ok"]
    assert back.call("me", {"room": name})["points"] == 0


def device_session_with(base_url, name, old):
    """A new browser tab with the old one's cookies, as after a reload."""
    session = requests.Session()
    session.cookies.update(old.cookies)
    session.get(f"{base_url}/r/{name}").raise_for_status()
    assert session.cookies["chorus_device"] == old.cookies["chorus_device"]
    return session


def test_nicknames_are_bounded_and_unique(server, room, clients):
    name, _ = room
    one, two = phone(server, clients, name), phone(server, clients, name)
    assert one.call("nickname", {"room": name, "nickname": "  Grace  Hopper "})["nickname"] == \
        "Grace Hopper"
    taken = two.call("nickname", {"room": name, "nickname": "grace hopper"})
    assert taken["error"]["code"] == "conflict" and "taken" in taken["error"]["message"]
    too_long = two.call("nickname", {"room": name, "nickname": "x" * 25})
    assert too_long["error"]["code"] == "too_large"
    for bad in ("", "   ", 7, None, ["a"]):
        assert two.call("nickname", {"room": name, "nickname": bad})["error"]["code"] == \
            "bad_request"
    assert one.call("nickname", {"room": name, "nickname": "Grace"})["ok"]  # frees the old one
    assert two.call("nickname", {"room": name, "nickname": "Grace Hopper"})["ok"]
    assert two.call("me", {"room": name})["nickname"] == "Grace Hopper"


def test_text_answers_show_only_once_moderated(server, room, clients):
    name, token = room
    screen = host(server, clients, name, token)
    fan, other = phone(server, clients, name), phone(server, clients, name)
    poll = screen.call("open", {"room": name, "kind": "text", "question": "One word?"})["poll"]
    first = fan.call("answer", {"room": name, "poll": poll["id"], "answer": " <i>hi</i> "})
    assert first["mine"]["text"] == "<i>hi</i>" and first["mine"]["shown"] is None
    for text in ("two", "three"):
        assert fan.call("answer", {"room": name, "poll": poll["id"], "answer": text})["ok"]
    fourth = fan.call("answer", {"room": name, "poll": poll["id"], "answer": "four"})
    assert fourth["error"]["code"] == "too_large"
    long = other.call("answer", {"room": name, "poll": poll["id"], "answer": "x" * 201})
    assert long["error"]["code"] == "too_large"
    assert other.call("answer", {"room": name, "poll": poll["id"], "answer": ""})["error"][
        "code"] == "bad_request"
    audience_view = other.call("join", {"room": name})["results"]
    assert audience_view["answers"] == [] and "waiting" not in audience_view
    waiting = screen.call("join", {"room": name, "token": token})["results"]["waiting"]
    assert [w["text"] for w in waiting] == ["<i>hi</i>", "two", "three"]
    assert screen.call("moderate", {"room": name, "poll": poll["id"], "id": waiting[0]["id"]})[
        "answer"]["shown"] is True
    screen.call("moderate", {"room": name, "poll": poll["id"], "id": waiting[1]["id"],
                             "shown": False})
    bad = screen.call("moderate", {"room": name, "poll": poll["id"], "id": 999})
    assert bad["error"]["code"] == "bad_request"
    other.wait_for(lambda: any((p["results"] or {}).get("answers") == [
        {"id": waiting[0]["id"], "text": "<i>hi</i>"}] for p in other.received("poll")),
        what="the approved answer only")
    export = requests.get(f"{server.url}/api/rooms/{name}/polls/{poll['id']}/results.csv",
                          headers=bearer(token)).text
    assert "<i>hi</i>,1,yes" in export and "two,1,no" in export


def test_a_ranking_poll_gives_each_options_average_rank(server, room, clients):
    name, token = room
    screen = host(server, clients, name, token)
    poll = screen.call("open", {"room": name, "kind": "ranking", "question": "Order",
                                "options": ["a", "b", "c"]})["poll"]
    orders = ([0, 1, 2], [1, 0, 2], [0, 2, 1])
    for order in orders:
        fan = phone(server, clients, name)
        assert fan.call("answer", {"room": name, "poll": poll["id"], "answer": order})["mine"] \
            == ",".join(map(str, order))
    for bad in ([0, 1], [0, 0, 1], [0, 1, 3], "0,1,2", [0, 1, True]):
        assert fan.call("answer", {"room": name, "poll": poll["id"], "answer": bad})["error"][
            "code"] == "bad_request", bad
    results = screen.call("join", {"room": name, "token": token})["results"]
    # a: 1,2,1 -> 1.33; b: 2,1,3 -> 2; c: 3,3,2 -> 2.67
    assert results == {"total": 3, "ranks": [1.33, 2.0, 2.67], "order": [0, 1, 2]}
    # answering again replaces the device's order: the third is now c, b, a
    assert fan.call("answer", {"room": name, "poll": poll["id"], "answer": [2, 1, 0]})["ok"]
    results = screen.call("join", {"room": name, "token": token})["results"]
    assert results == {"total": 3, "ranks": [2.0, 1.67, 2.33], "order": [1, 0, 2]}


def test_questions_and_quiz_export_as_csv_and_json_with_cells_neutralised(server, room,
                                                                           clients):
    name, token = room
    qa = AudienceClient(server.url, "/qa", device_session(server.url, name))
    clients.append(qa)
    qa.call("join", {"room": name})
    asked = qa.call("ask", {"room": name, "text": "=HYPERLINK(\"x\")", "name": "@me"})["question"]
    qa.call("upvote", {"room": name, "id": asked["id"]})
    screen = host(server, clients, name, token)
    fan = phone(server, clients, name)
    fan.call("nickname", {"room": name, "nickname": "+cmd"})
    quiz = screen.call("open", {"room": name, "kind": "quiz", "question": "-1 + 1?",
                                "options": ["0", "2"], "correct": 0, "seconds": 60})["poll"]
    fan.call("answer", {"room": name, "poll": quiz["id"], "answer": 0})

    def get(path):
        reply = requests.get(f"{server.url}/api/rooms/{name}/{path}",
                             headers={"Authorization": f"Bearer {token}"})
        assert reply.status_code == 200, reply.text
        return reply

    rows = list(csv.reader(io.StringIO(get("questions.csv").text)))
    assert rows[0] == ["id", "text", "name", "asked at", "votes", "answered", "hidden"]
    assert rows[1][1:3] == ["'=HYPERLINK(\"x\")", "'@me"] and rows[1][4:] == ["1", "no", "no"]
    exact = get("questions.json").json()["questions"][0]
    assert exact["text"] == "=HYPERLINK(\"x\")" and exact["votes"] == 1
    quiz_rows = list(csv.reader(io.StringIO(get("quiz.csv").text)))
    assert quiz_rows[1][1:] == ["'-1 + 1?", "0", "1", "1"]
    assert quiz_rows[-1][1] == "'+cmd" and 500 < int(quiz_rows[-1][2]) <= 1000
    body = get("quiz.json").json()
    assert body["standings"][0]["nickname"] == "+cmd"
    assert body["questions"][0]["results"]["right"] == 1
    assert requests.get(f"{server.url}/api/rooms/{name}/quiz.xml", headers=bearer(token)
                        ).status_code == 404


def test_a_deck_survives_a_restart(workdir):
    db = f"sqlite:///{workdir}/decks.db"
    first = Server(workdir, {"CHORUS_STORE": db}).start()
    try:
        token = create_room(first.url, "kept")
        assert put_deck(first.url, "kept", token, DECK).status_code == 200
        screen = AudienceClient(first.url, "/poll", device_session(first.url, "kept"))
        screen.call("join", {"room": "kept", "token": token})
        screen.call("next", {"room": "kept"})
        screen.close()
    finally:
        assert first.stop(signal.SIGTERM) == 0
    again = Server(workdir, {"CHORUS_STORE": db}).start()
    try:
        assert requests.get(f"{again.url}/api/rooms/kept/deck", headers=bearer(token)
                            ).json() == DECK
        screen = AudienceClient(again.url, "/poll", device_session(again.url, "kept"))
        deck = screen.call("join", {"room": "kept", "token": token})["deck"]
        assert deck["launched"] == 1 and deck["next"]["kind"] == "quiz"
        screen.close()
    finally:
        again.stop()
