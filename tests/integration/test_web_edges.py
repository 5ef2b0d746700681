"""The edges a browser brings: other cookies of the site, HTTPS behind a proxy, and exports
opened in a spreadsheet."""

from __future__ import annotations

import csv
import io

import pytest
import requests

from tests.audience_support import AudienceClient, device_session
from tests.support import Server

FORMULAS = ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tTab", "\rReturn"]


ROOM_PREFIX = "edge"  # rooms of the shared ``room`` fixture (conftest.py)


@pytest.fixture(scope="module")
def unproxied(workdir):
    """A server that trusts no proxy (CHORUS_PROXIES unset)."""
    srv = Server(workdir, {"CHORUS_STORE": "memory://"}).start()
    yield srv
    srv.stop()


def join(server, clients, namespace, name, session, token=None):
    client = AudienceClient(server.url, namespace, session)
    clients.append(client)
    ack = client.call("join", {"room": name, **({"token": token} if token else {})})
    assert ack["ok"], ack
    return client


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_a_foreign_cookie_that_is_not_rfc_clean_does_not_stop_voting(server, room, clients,
                                                                     transport):
    name, token = room
    host = join(server, clients, "/poll", name, device_session(server.url, name), token)
    poll = host.call("open", {"room": name, "kind": "choice", "question": "Tea?",
                              "options": ["yes", "no"]})["poll"]
    session = device_session(server.url, name)
    session.cookies.set("theme", "dark mode")  # sent as is, as browsers do: theme=dark mode
    session.cookies.set("prefs", '{"a":1}')
    voter = AudienceClient(server.url, "/poll", session, transport)
    clients.append(voter)
    assert voter.call("join", {"room": name})["ok"]
    assert voter.call("answer", {"room": name, "poll": poll["id"], "answer": 0})["ok"]
    qa = AudienceClient(server.url, "/qa", session, transport)
    clients.append(qa)
    assert qa.call("join", {"room": name})["ok"]
    asked = join(server, clients, "/qa", name, device_session(server.url, name))
    question = asked.call("ask", {"room": name, "text": "Why gevent?"})["question"]
    assert qa.call("upvote", {"room": name, "id": question["id"]})["ok"]
    pulse = AudienceClient(server.url, "/pulse", session, transport)
    clients.append(pulse)
    assert pulse.call("join", {"room": name})["ok"]
    assert pulse.call("pace", {"room": name, "value": "fast"})["ok"]
    assert host.call("join", {"room": name, "token": token})["results"]["counts"] == [1, 0]


def cookie_attributes(reply: requests.Response) -> dict[str, set[str]]:
    """Cookie name -> its attribute names, lower case, from every Set-Cookie header."""
    found = {}
    for header in reply.raw.headers.getlist("Set-Cookie"):
        name = header.split("=", 1)[0]
        found[name] = {part.strip().split("=", 1)[0].lower() for part in header.split(";")[1:]}
    return found


def test_cookies_are_httponly_and_lax_over_http(server):
    cookies = cookie_attributes(requests.get(server.url + "/r/plain"))
    assert set(cookies) == {"chorus_sticky", "chorus_device"}
    for attributes in cookies.values():
        assert {"httponly", "samesite"} <= attributes
        assert "secure" not in attributes
    header = requests.get(server.url + "/r/plain").headers["Set-Cookie"]
    assert "SameSite=Lax" in header


def test_cookies_are_secure_behind_a_trusted_https_proxy(server):
    """The module's server trusts one proxy (CHORUS_PROXIES=1), as behind Nginx."""
    reply = requests.get(server.url + "/r/tls", headers={"X-Forwarded-Proto": "https"})
    cookies = cookie_attributes(reply)
    assert set(cookies) == {"chorus_sticky", "chorus_device"}
    for attributes in cookies.values():
        assert {"secure", "httponly", "samesite"} <= attributes


def test_a_clients_own_forwarded_proto_is_not_believed(unproxied):
    reply = requests.get(unproxied.url + "/r/tls", headers={"X-Forwarded-Proto": "https"})
    cookies = cookie_attributes(reply)
    assert cookies and all("secure" not in attributes for attributes in cookies.values())


@pytest.mark.parametrize("kind", ["choice", "cloud"])
def test_csv_exports_neutralise_formulas_and_json_stays_exact(server, room, clients, kind):
    name, token = room
    host = join(server, clients, "/poll", name, device_session(server.url, name), token)
    spec = {"room": name, "kind": kind, "question": "=HYPERLINK(\"http://x\")"}
    if kind == "choice":
        spec["options"] = FORMULAS
    poll = host.call("open", spec)["poll"]
    answers = range(len(FORMULAS)) if kind == "choice" else FORMULAS
    for answer in answers:
        voter = join(server, clients, "/poll", name, device_session(server.url, name))
        ack = voter.call("answer", {"room": name, "poll": poll["id"], "answer": answer})
        assert ack["ok"], ack
    base = f"{server.url}/api/rooms/{name}/polls/{poll['id']}/results"
    text = requests.get(base + ".csv", headers={"Authorization": f"Bearer {token}"}).text
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert "'=HYPERLINK(\"http://x\")" in cells
    dangerous = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert not dangerous, dangerous
    exact = requests.get(base + ".json", headers={"Authorization": f"Bearer {token}"}).json()
    assert exact["poll"]["question"] == spec["question"]
    if kind == "choice":
        assert exact["poll"]["options"] == [f.strip() for f in FORMULAS]  # as the app keeps them
        assert "'+cmd|' /C calc'!A0" in cells
