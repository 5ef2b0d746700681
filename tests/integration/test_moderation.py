"""The word filter, "remove this word", the co-host role and the presenter-link recovery, on a
real server: the filter keeps listed words (English and German) off every view, a removed word
leaves the results for everyone, a co-host moderates and is refused everything else, and the
CLI prints a room's links from the store the server uses."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import requests

from tests.audience_support import AudienceClient, device_session
from tests.support import ROOT, Server

ROOM_PREFIX = "mod"


@pytest.fixture(scope="module")
def server(workdir):
    srv = Server(workdir, {"CHORUS_STORE": f"sqlite:///{workdir}/moderation.db",
                           "CHORUS_PUBLIC_URL": "http://chorus.example:8080"}).start()
    yield srv
    srv.stop()


def joined(server, clients, namespace, room, token=None):
    client = AudienceClient(server.url, namespace, device_session(server.url, room))
    clients.append(client)
    ack = client.call("join", {"room": room, **({"token": token} if token else {})})
    assert ack["ok"], ack
    return client, ack


def cohost_token(server, room, presenter_token):
    """The co-host token, as the presenter screen shows it in its co-host link."""
    page = requests.get(f"{server.url}/present/{room}",
                        cookies={"chorus_presenter": presenter_token})
    page.raise_for_status()
    marker = f"/moderate/{room}#token="
    return page.text.split(marker, 1)[1].split('"', 1)[0]


def test_the_filter_holds_cloud_words_and_masks_text_and_questions(server, room, clients):
    name, token = room
    host, _ = joined(server, clients, "/poll", name, token)
    cloud = host.call("open", {"room": name, "kind": "cloud", "question": "One word?"})["poll"]
    for word in ("Scheiße", "fuck", "gevent", "gevent"):
        voter, _ = joined(server, clients, "/poll", name)
        assert voter.call("answer", {"room": name, "poll": cloud["id"], "answer": word})["ok"]
    audience, ack = joined(server, clients, "/poll", name)
    assert host.call("reveal", {"room": name, "poll": cloud["id"], "revealed": True})["ok"]
    for client in (host, audience):
        seen = client.call("join", {"room": name, **({"token": token} if client is host
                                                       else {})})["results"]
        assert seen["words"] == [["gevent", 2]], seen
        assert seen["total"] == 2 and seen["removed"] == 2, seen

    text = host.call("open", {"room": name, "kind": "text", "question": "Thoughts?"})["poll"]
    writer, _ = joined(server, clients, "/poll", name)
    written = writer.call("answer", {"room": name, "poll": text["id"],
                                     "answer": "what the fuck, du Arschloch"})
    assert written["ok"], written
    waiting = host.call("join", {"room": name, "token": token})["results"]["waiting"]
    assert [a["text"] for a in waiting] == ["what the ***, du ***"], waiting

    qa, _ = joined(server, clients, "/qa", name)
    asked = qa.call("ask", {"room": name, "text": "Why is this shit so slow?"})
    assert asked["ok"] and asked["question"]["text"] == "Why is this *** so slow?", asked


def test_a_removed_word_leaves_the_results_for_everyone(server, room, clients):
    name, token = room
    host, _ = joined(server, clients, "/poll", name, token)
    cloud = host.call("open", {"room": name, "kind": "cloud", "question": "One word?"})["poll"]
    for word in ("lunch", "beer", "beer"):
        voter, _ = joined(server, clients, "/poll", name)
        assert voter.call("answer", {"room": name, "poll": cloud["id"], "answer": word})["ok"]
    audience, _ = joined(server, clients, "/poll", name)
    refused = audience.call("remove_word", {"room": name, "poll": cloud["id"], "word": "beer"})
    assert refused["error"]["code"] == "forbidden", refused
    removed = host.call("remove_word", {"room": name, "poll": cloud["id"], "word": "Beer!"})
    assert removed == {"ok": True, "poll": cloud["id"], "removed": ["beer"]}, removed
    audience.wait_for(lambda: any(p["poll"] and p["poll"]["id"] == cloud["id"] and p["results"]
                                  and p["results"]["words"] == [["lunch", 1]]
                                  for p in audience.received("poll")), what="beer gone")
    bad = host.call("remove_word", {"room": name, "poll": cloud["id"], "word": 7})
    assert bad["error"]["code"] == "bad_request", bad
    choice = host.call("open", {"room": name, "kind": "choice", "question": "?",
                                "options": ["a", "b"]})["poll"]
    bad = host.call("remove_word", {"room": name, "poll": choice["id"], "word": "a"})
    assert bad["error"]["code"] == "bad_request", bad


def test_a_removed_word_is_masked_in_shown_open_answers(server, room, clients):
    name, token = room
    host, _ = joined(server, clients, "/poll", name, token)
    text = host.call("open", {"room": name, "kind": "text", "question": "Thoughts?"})["poll"]
    writer, _ = joined(server, clients, "/poll", name)
    assert writer.call("answer", {"room": name, "poll": text["id"],
                                  "answer": "Bob is slow"})["ok"]
    entry = host.call("join", {"room": name, "token": token})["results"]["waiting"][0]
    assert host.call("moderate", {"room": name, "poll": text["id"], "id": entry["id"],
                                  "shown": True})["ok"]
    assert host.call("remove_word", {"room": name, "poll": text["id"], "word": "bob"})["ok"]
    assert host.call("reveal", {"room": name, "poll": text["id"], "revealed": True})["ok"]
    shown = writer.call("join", {"room": name})["results"]
    assert [a["text"] for a in shown["answers"]] == ["*** is slow"], shown


def test_a_cohost_moderates_and_is_refused_the_presenters_events(server, room, clients):
    name, token = room
    helper_token = cohost_token(server, name, token)
    assert helper_token and helper_token != token
    host, _ = joined(server, clients, "/poll", name, token)
    poll = host.call("open", {"room": name, "kind": "text", "question": "Thoughts?"})["poll"]
    writer, _ = joined(server, clients, "/poll", name)
    assert writer.call("answer", {"room": name, "poll": poll["id"], "answer": "fine"})["ok"]

    helper, ack = joined(server, clients, "/poll", name, helper_token)
    assert ack["role"] == "cohost" and ack["presenter"] is False, ack
    waiting = ack["results"]["waiting"]
    assert [a["text"] for a in waiting] == ["fine"]
    assert helper.call("moderate", {"room": name, "poll": poll["id"], "id": waiting[0]["id"],
                                    "shown": True})["ok"]
    assert helper.call("remove_word", {"room": name, "poll": poll["id"], "word": "fine"})["ok"]
    for event, payload in (("open", {"kind": "cloud", "question": "No?"}),
                           ("close", {"poll": poll["id"]}),
                           ("reveal", {"poll": poll["id"], "revealed": True}),
                           ("next", {}), ("reset_scores", {})):
        refused = helper.call(event, {"room": name, **payload})
        assert refused["error"]["code"] == "forbidden", (event, refused)

    qa_host, _ = joined(server, clients, "/qa", name, token)
    asker, _ = joined(server, clients, "/qa", name)
    question = asker.call("ask", {"room": name, "text": "Is it on?"})["question"]
    qa_helper, ack = joined(server, clients, "/qa", name, helper_token)
    assert ack["role"] == "cohost"
    hidden = qa_helper.call("hide", {"room": name, "id": question["id"], "hidden": True})
    assert hidden["ok"] and hidden["question"]["hidden"], hidden
    assert qa_helper.call("answered", {"room": name, "id": question["id"]})["ok"]
    assert qa_host.call("join", {"room": name, "token": token})["hidden"] == 1
    wrong = asker.call("join", {"room": name, "token": helper_token + "x"})
    assert wrong["error"]["code"] == "forbidden", wrong
    # The co-host's cookie runs the moderation screen, not the presenter's pages.
    deck = requests.get(f"{server.url}/present/{name}", cookies={"chorus_presenter":
                                                                 helper_token})
    assert deck.status_code == 403


def test_the_cli_prints_the_links_and_the_log_holds_the_presenter_link(server, room, workdir):
    env = {**os.environ, "CHORUS_STORE": f"sqlite:///{workdir}/moderation.db",
           "CHORUS_PUBLIC_URL": "http://chorus.example:8080"}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=60)

    name, token = room
    done = cli("presenter-link", name)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"http://chorus.example:8080/present/{name}#token={token}"
    helper = cli("cohost-link", name)
    assert helper.returncode == 0, helper.stderr
    assert helper.stdout.strip() == (f"http://chorus.example:8080/moderate/{name}#token="
                                     f"{cohost_token(server, name, token)}")
    missing = cli("presenter-link", "no-such-room")
    assert missing.returncode == 1 and missing.stdout == ""
    assert "no room no-such-room" in missing.stderr, missing.stderr
    assert cli("cohost-link", "no-such-room").returncode == 1
    log = server.log_path.read_text()
    assert log.count(f"/present/{name}#token={token}") == 1, "logged once at creation"
