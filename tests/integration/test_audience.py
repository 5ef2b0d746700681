"""Audience mode over real sockets: presenter tokens, device identity, polls, Q&A, pulse."""

from __future__ import annotations

import csv
import io

import pytest
import requests

from tests.audience_support import AudienceClient, device_session

ROOM_PREFIX = "talk"  # rooms of the shared ``room`` fixture (conftest.py)


def audience(server, clients, namespace, room_name, transport="websocket", session=None):
    client = AudienceClient(server.url, namespace, session or device_session(server.url, room_name),
                            transport)
    clients.append(client)
    assert client.call("join", {"room": room_name})["ok"]
    return client


def presenter(server, clients, namespace, room_name, token):
    client = AudienceClient(server.url, namespace, device_session(server.url, room_name))
    clients.append(client)
    ack = client.call("join", {"room": room_name, "token": token})
    assert ack["ok"] and ack["presenter"] is True
    return client


def test_presenter_actions_need_the_token(server, room, clients):
    name, token = room
    fan = audience(server, clients, "/poll", name)
    refused = fan.call("open", {"room": name, "kind": "scale", "question": "How was it?"})
    assert refused["error"]["code"] == "forbidden"
    wrong = AudienceClient(server.url, "/poll", device_session(server.url, name))
    clients.append(wrong)
    assert wrong.call("join", {"room": name, "token": token + "x"})["error"]["code"] == \
        "forbidden"
    assert wrong.call("close", {"room": name, "poll": 1})["error"]["code"] == "not_joined"
    qa = audience(server, clients, "/qa", name)
    assert qa.call("freeze", {"room": name})["error"]["code"] == "forbidden"
    host = presenter(server, clients, "/poll", name, token)
    assert host.call("open", {"room": name, "kind": "scale", "question": "How was it?"})["ok"]
    # the token is never sent to audience clients
    assert token not in str(fan.events) and token not in str(fan.call("join", {"room": name}))


def test_a_device_votes_once_whatever_client_id_it_claims(server, room, clients):
    name, token = room
    host = presenter(server, clients, "/poll", name, token)
    poll = host.call("open", {"room": name, "kind": "choice", "question": "Tabs or spaces?",
                              "options": ["tabs", "spaces"]})["poll"]
    session = device_session(server.url, name)
    for made_up in ("alice", "bob", "mallory"):
        voter = AudienceClient(server.url, "/poll", session, client=made_up)
        clients.append(voter)
        voter.call("join", {"room": name})
        assert voter.call("answer", {"room": name, "poll": poll["id"], "answer": 0})["ok"]
    results = host.call("join", {"room": name, "token": token})["results"]
    assert results == {"total": 1, "counts": [1, 0]}
    # no device cookie (or a forged one): no vote at all
    anonymous = AudienceClient(server.url, "/poll")
    clients.append(anonymous)
    anonymous.call("join", {"room": name})
    assert anonymous.call("answer", {"room": name, "poll": poll["id"], "answer": 1})["error"][
        "code"] == "forbidden"
    forged = requests.Session()
    forged.cookies.set("chorus_device", "made.up.value")
    faker = AudienceClient(server.url, "/poll", forged)
    clients.append(faker)
    faker.call("join", {"room": name})
    assert faker.call("answer", {"room": name, "poll": poll["id"], "answer": 1})["error"][
        "code"] == "forbidden"


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_choice_poll_answers_change_and_close(server, room, clients, transport):
    name, token = room
    host = presenter(server, clients, "/poll", name, token)
    fans = [audience(server, clients, "/poll", name, transport) for _ in range(3)]
    poll = host.call("open", {"room": name, "kind": "choice", "question": "Best framework?",
                              "options": ["Flask", "Django", "FastAPI"]})["poll"]
    for fan in fans:
        fan.wait_for(lambda f=fan: [p for p in f.received("poll") if p["poll"]], what="the poll")
    acks = [fan.call("answer", {"room": name, "poll": poll["id"], "answer": i})
            for i, fan in enumerate(fans)]
    assert [a["mine"] for a in acks] == ["0", "1", "2"]
    fans[2].call("answer", {"room": name, "poll": poll["id"], "answer": 0})  # changes its mind
    host.wait_for(lambda: any(p["results"] == {"total": 3, "counts": [2, 1, 0]}
                              for p in host.received("poll")), what="2/1/0 on the presenter")
    assert fans[2].call("join", {"room": name})["mine"] == "0"
    assert host.call("close", {"room": name, "poll": poll["id"]})["poll"]["open"] is False
    late = fans[1].call("answer", {"room": name, "poll": poll["id"], "answer": 2})
    assert late["error"]["code"] == "bad_request"
    export = requests.get(f"{server.url}/present/{name}/polls/{poll['id']}/results.csv",
                          cookies={"chorus_presenter": token})
    rows = list(csv.reader(io.StringIO(export.text)))
    assert rows[1:5] == [["answer", "count"], ["Flask", "2"], ["Django", "1"], ["FastAPI", "0"]]
    assert ["total", "3"] in rows
    as_json = requests.get(f"{server.url}/api/rooms/{name}/polls/{poll['id']}/results.json",
                           headers={"Authorization": f"Bearer {token}"}).json()
    assert as_json["results"] == {"total": 3, "counts": [2, 1, 0]}
    assert requests.get(f"{server.url}/api/rooms/{name}/polls/{poll['id']}/results.csv"
                        ).status_code == 403
    assert requests.get(f"{server.url}/api/rooms/{name}/polls/{poll['id']}/results.csv",
                        params={"token": token}).status_code == 403  # no token in URLs


def test_hidden_results_reach_the_audience_only_when_revealed(server, room, clients):
    name, token = room
    host = presenter(server, clients, "/poll", name, token)
    fan = audience(server, clients, "/poll", name)
    poll = host.call("open", {"room": name, "kind": "scale", "question": "Pace?",
                              "hidden": True})["poll"]
    fan.call("answer", {"room": name, "poll": poll["id"], "answer": 4})
    host.wait_for(lambda: any((p["results"] or {}).get("total") == 1
                              for p in host.received("poll")), what="the presenter's results")
    assert all(p["results"] is None for p in fan.received("poll"))
    assert fan.call("join", {"room": name})["results"] is None
    host.call("reveal", {"room": name, "poll": poll["id"], "revealed": True})
    shown = fan.wait_for(lambda: [p for p in fan.received("poll") if p["results"]],
                         what="revealed results")[-1]
    assert shown["results"] == {"total": 1, "counts": [0, 0, 0, 1, 0], "mean": 4.0}


def test_word_cloud_counts_equal_answers_together(server, room, clients):
    name, token = room
    host = presenter(server, clients, "/poll", name, token)
    poll = host.call("open", {"room": name, "kind": "cloud",
                              "question": "One word for Python?"})["poll"]
    for answer in ("Flask", " flask!", "FLASK", "gevent", "  Gevent  "):
        fan = audience(server, clients, "/poll", name)
        fan.call("answer", {"room": name, "poll": poll["id"], "answer": answer})
    results = host.call("join", {"room": name, "token": token})["results"]
    assert results == {"total": 5, "words": [["flask", 3], ["gevent", 2]]}


def test_questions_upvotes_moderation_and_order(server, room, clients):
    name, token = room
    host = presenter(server, clients, "/qa", name, token)
    fans = [audience(server, clients, "/qa", name) for _ in range(3)]
    first = fans[0].call("ask", {"room": name, "text": "Why gevent?", "name": "Ana"})["question"]
    second = fans[1].call("ask", {"room": name, "text": "Why not asyncio?"})["question"]
    spam = fans[2].call("ask", {"room": name, "text": "buy now"})["question"]
    for fan in fans:
        fan.call("upvote", {"room": name, "id": second["id"]})
    again = fans[0].call("upvote", {"room": name, "id": second["id"]})
    assert again == {"ok": True, "id": second["id"], "votes": 3, "counted": False}
    host.call("hide", {"room": name, "id": spam["id"]})
    host.call("answered", {"room": name, "id": second["id"]})
    view = fans[2].call("join", {"room": name})
    assert [q["id"] for q in view["questions"]] == [first["id"], second["id"]]
    assert view["hidden"] == 1 and view["questions"][1]["answered"] is True
    assert view["questions"][1]["votes"] == 3
    assert "hidden_questions" not in view  # the audience is told how many, not which
    hosted = host.call("join", {"room": name, "token": token})
    assert [q["id"] for q in hosted["hidden_questions"]] == [spam["id"]]
    host.call("hide", {"room": name, "id": spam["id"], "hidden": False})  # shown again
    assert host.call("join", {"room": name, "token": token})["hidden"] == 0
    # someone who joins late sees the questions, and hears of new ones
    late = audience(server, clients, "/qa", name)
    fans[0].call("ask", {"room": name, "text": "And Redis?", "id": "q-redis"})
    late.wait_for(lambda: any(any(q["id"] == "q-redis" for q in v["questions"])
                              for v in late.received("questions")), what="the new question")
    # a retried ask with the same id posts once
    assert fans[0].call("ask", {"room": name, "text": "And Redis?", "id": "q-redis"})["ok"]
    assert sum(q["id"] == "q-redis" for q in host.call(
        "join", {"room": name, "token": token})["questions"]) == 1


def test_freeze_holds_the_order(server, room, clients):
    name, token = room
    host = presenter(server, clients, "/qa", name, token)
    fans = [audience(server, clients, "/qa", name) for _ in range(3)]
    a = fans[0].call("ask", {"room": name, "text": "A"})["question"]
    b = fans[1].call("ask", {"room": name, "text": "B"})["question"]
    assert host.call("freeze", {"room": name, "frozen": True}) == {"ok": True, "frozen": True}
    for fan in fans:
        fan.call("upvote", {"room": name, "id": b["id"]})
    frozen = host.call("join", {"room": name, "token": token})
    assert frozen["frozen"] is True
    assert [q["id"] for q in frozen["questions"]] == [a["id"], b["id"]]
    host.call("freeze", {"room": name, "frozen": False})
    assert [q["id"] for q in host.call("join", {"room": name, "token": token})["questions"]] \
        == [b["id"], a["id"]]


def test_asking_too_fast_is_rate_limited_and_the_connection_stays(server, room, clients):
    name, _ = room
    fan = audience(server, clients, "/qa", name)
    answers = [fan.call("ask", {"room": name, "text": f"question {i}"}) for i in range(4)]
    assert [a["ok"] for a in answers[:3]] == [True, True, True]
    limited = answers[3]
    assert limited["ok"] is False and limited["error"]["code"] == "rate_limited"
    assert 0 < limited["retry_after_ms"] <= 10_000
    assert fan.call("upvote", {"room": name, "id": answers[0]["question"]["id"]})["ok"]


@pytest.mark.parametrize("payload,code", [
    ({"room": "x"}, "not_joined"),
    ("nope", "bad_request"),
    ({"room": "bad room"}, "bad_request"),
])
def test_bad_input_on_audience_namespaces(server, room, clients, payload, code):
    name, _ = room
    for namespace, event in (("/poll", "answer"), ("/qa", "ask"), ("/pulse", "react")):
        client = audience(server, clients, namespace, name)
        assert client.call(event, payload)["error"]["code"] == code
        assert client.call("nope", {"room": name})["error"]["code"] == "bad_request"
        assert client.call("join", {"room": name})["ok"]  # still usable


def test_reactions_and_pace_reach_the_screens(server, room, clients):
    name, token = room
    screen = presenter(server, clients, "/pulse", name, token)
    display = AudienceClient(server.url, "/pulse")
    clients.append(display)
    assert display.call("join", {"room": name, "screen": True})["presenter"] is False
    phones = [audience(server, clients, "/pulse", name) for _ in range(3)]
    for phone in phones:
        for _ in range(10):
            assert phone.call("react", {"room": name, "emoji": "👏"})["ok"]
    for watcher in (screen, display):
        watcher.wait_for(lambda w=watcher: sum(r["counts"].get("👏", 0)
                                               for r in w.received("reactions")) == 30,
                         what="30 claps")
    assert phones[0].received("reactions") == []  # phones only send
    bad = phones[0].call("react", {"room": name, "emoji": "💩"})
    assert bad["error"]["code"] == "bad_request"
    for phone, value in zip(phones, ("fast", "fast", "good"), strict=True):
        assert phone.call("pace", {"room": name, "value": value})["ok"]
    pace = screen.wait_for(lambda: [p for p in screen.received("pace") if p["voters"] == 3],
                           what="three pace votes")[-1]
    assert 1.9 <= pace["fast"] <= 2.0 and 0.9 <= pace["good"] <= 1.0 and pace["slow"] == 0
