"""The web edge as a hostile visitor tries it: the headers on every answer, the presenter's token
kept out of URLs and logs, room creation refused from other sites and past an address's budget.

Servers are real gunicorns; ``proxied`` trusts one proxy (CHORUS_PROXIES=1), so a test speaking
to it directly plays Nginx and says which client address it forwards, the way the address
budget sees clients behind the real Nginx.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid

import pytest
import requests

from app import create_app
from tests.support import ROOT, Nginx, Server, SyncClient

CSP_NEEDS = ["default-src 'self'", "script-src 'self'", "style-src 'self'",
             "frame-ancestors 'self'", "object-src 'none'"]
# One value per URL variable; a new variable fails the walk with a KeyError naming it.
SAMPLES = {"room": "demo", "poll": "1", "fmt": "csv", "key": "volume", "filename": "style.css",
           "locale": "de"}


@pytest.fixture(scope="module")
def proxied(workdir):
    """Access log on, a small room budget, one trusted proxy."""
    srv = Server(workdir, {"CHORUS_STORE": "memory://", "CHORUS_PROXIES": "1",
                           "CHORUS_ACCESS_LOG": "1", "CHORUS_ROOM_BURST": "3",
                           "CHORUS_ROOM_RATE": "0.01", "CHORUS_API_TOKEN": "api-secret",
                           "CHORUS_ALLOWED_ORIGINS": "https://slides.example.org",
                           "CHORUS_FRAME_ANCESTORS": "'self' https://slides.example.org"}
                 ).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def front(workdir, proxied):
    proxy = Nginx(workdir, [proxied.port]).start()
    yield proxy
    proxy.stop()


def every_route() -> list[tuple[str, str]]:
    """(method, path) for every rule of the app's URL map, with sample values filled in."""
    app = create_app({"ASYNC_MODE": "threading", "STORE": "memory://", "SEED_DEMO": False})
    found = []
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: SAMPLES[m.group(1)], rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, path))
    assert len(found) > 15  # the walk is not vacuous: pages, API, audience, health, static
    return found


def assert_secured(reply: requests.Response, presenter: bool = False) -> None:
    policy = reply.headers.get("Content-Security-Policy", "")
    for part in CSP_NEEDS:
        assert part in policy, (reply.url, policy)
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert reply.headers.get("X-Content-Type-Options") == "nosniff", reply.url
    expected = "no-referrer" if presenter else "same-origin"
    assert reply.headers.get("Referrer-Policy") == expected, reply.url


@pytest.mark.parametrize(("method", "path"), every_route())
def test_every_route_answers_with_the_headers(server, method, path):
    with requests.request(method, server.url + path, stream=True, timeout=10,
                          allow_redirects=False,
                          headers={"Connection": "close"}) as reply:
        assert reply.status_code < 500, (path, reply.status_code)
        assert_secured(reply, presenter=path.startswith("/present/"))


def test_errors_and_unknown_paths_carry_the_headers_too(server):
    for path in ("/no/such/page", "/r/not.a.room", "/present/demo", "/api/rooms/demo/values/x"):
        reply = requests.get(server.url + path, timeout=10)
        assert reply.status_code in (403, 404, 405), (path, reply.status_code)
        assert_secured(reply, presenter=path.startswith("/present/"))


def test_policy_names_the_allowed_origins_and_frame_ancestors(proxied):
    policy = requests.get(proxied.url + "/", timeout=10).headers["Content-Security-Policy"]
    connect = next(d for d in policy.split("; ") if d.startswith("connect-src"))
    assert connect.split()[1:] == ["'self'", "https://slides.example.org",
                                   "wss://slides.example.org"]
    assert "frame-ancestors 'self' https://slides.example.org" in policy


def test_hsts_only_over_https_as_the_trusted_proxy_says(proxied, unproxied):
    secure = requests.get(proxied.url + "/", headers={"X-Forwarded-Proto": "https"}, timeout=10)
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Strict-Transport-Security" not in requests.get(proxied.url + "/", timeout=10).headers
    claimed = requests.get(unproxied.url + "/", headers={"X-Forwarded-Proto": "https"},
                           timeout=10)
    assert "Strict-Transport-Security" not in claimed.headers  # no proxy trusted: no word


@pytest.fixture(scope="module")
def unproxied(workdir):
    srv = Server(workdir, {"CHORUS_STORE": "memory://"}).start()
    yield srv
    srv.stop()


def test_nginx_passes_the_headers_and_adds_them_to_static_files(front):
    for path in ("/", "/r/demo", "/api/rooms/demo", "/healthz"):
        assert_secured(requests.get(front.url + path, timeout=10))
    script = requests.get(front.url + "/static/present.js", timeout=10)
    assert script.status_code == 200
    assert script.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in script.headers["Content-Security-Policy"]


def create(base: str, room: str, **headers: str) -> requests.Response:
    return requests.post(base + "/rooms", data={"room": room}, headers=headers,
                         allow_redirects=False, timeout=10)


def test_the_presenter_token_is_a_cookie_never_a_url(proxied, front):
    room = "secret-" + uuid.uuid4().hex[:6]
    created = create(front.url, room)
    assert created.status_code == 303
    assert created.headers["Location"] == f"/present/{room}?created=1"
    token = created.cookies["chorus_presenter"]
    cookie = created.headers["Set-Cookie"]
    for attribute in ("HttpOnly", "SameSite=Strict", f"Path=/present/{room}"):
        assert attribute in cookie, cookie
    assert token not in created.headers["Location"]

    screen = requests.get(front.url + f"/present/{room}", cookies={"chorus_presenter": token},
                          timeout=10)
    assert screen.status_code == 200 and f'data-token="{token}"' in screen.text
    assert screen.headers["Cache-Control"] == "no-store"
    assert_secured(screen, presenter=True)
    assert f"/present/{room}#token={token}" in screen.text  # the second device's link
    assert requests.get(front.url + f"/present/{room}", timeout=10).status_code == 403
    wrong = requests.get(front.url + f"/present/{room}", cookies={"chorus_presenter": "x" * 24},
                         timeout=10)
    assert wrong.status_code == 403 and "not valid" in wrong.text

    # The second device: the fragment never reaches a server; its script posts the token.
    refused = requests.post(front.url + f"/present/{room}/session", json={"token": "nope"},
                            timeout=10)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    for body in (None, [], {"token": 5}, {"token": ""}):
        odd = requests.post(front.url + f"/present/{room}/session", json=body, timeout=10)
        assert odd.status_code == 403 and odd.json()["ok"] is False
    traded = requests.post(front.url + f"/present/{room}/session", json={"token": token},
                           timeout=10)
    assert traded.status_code == 204 and traded.cookies["chorus_presenter"] == token

    # Neither gunicorn's access log nor Nginx's holds it.
    assert f"/present/{room}" in proxied.log()  # the requests were logged...
    # ...without the token: the one line holding it is the room's creation, logged on purpose
    # so that a lost link can be found again (docs/security.md).
    holding = [line for line in proxied.log().splitlines() if token in line]
    assert len(holding) == 1 and f"room {room} created; presenter link" in holding[0], holding
    access = (front.prefix / "access.log").read_text()
    assert f"/present/{room}" in access and token not in access


def test_a_room_from_another_site_is_refused(proxied):
    for origin in ("https://evil.example", "null", proxied.url.replace("127.0.0.1", "localhost")):
        refused = create(proxied.url, "cross-" + uuid.uuid4().hex[:6], Origin=origin)
        assert refused.status_code == 403, origin
        assert refused.json()["error"]["code"] == "forbidden"
        assert "chorus_presenter" not in refused.cookies
    assert create(proxied.url, "own-" + uuid.uuid4().hex[:6],
                  Origin=proxied.url).status_code == 303
    assert create(proxied.url, "listed-" + uuid.uuid4().hex[:6],
                  Origin="https://slides.example.org").status_code == 303


def test_one_address_past_its_room_budget_is_refused_while_others_create(proxied):
    flood = {"X-Forwarded-For": "198.51.100.7"}
    for _ in range(3):
        assert create(proxied.url, "f-" + uuid.uuid4().hex[:8], **flood).status_code == 303
    refused = create(proxied.url, "f-" + uuid.uuid4().hex[:8], **flood, Accept="application/json")
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["code"] == "rate_limited" and error["retry_after_ms"] > 0
    assert int(refused.headers["Retry-After"]) >= 1
    page = create(proxied.url, "f-" + uuid.uuid4().hex[:8], **flood, Accept="text/html")
    assert page.status_code == 429 and "try again" in page.text  # a person gets the page
    assert create(proxied.url, "g-" + uuid.uuid4().hex[:8],
                  **{"X-Forwarded-For": "198.51.100.8"}).status_code == 303
    assert create(proxied.url, "local-" + uuid.uuid4().hex[:8]).status_code == 303  # loopback


def test_socket_writes_that_create_rooms_share_the_budget(proxied):
    script = SyncClient(proxied.url, headers={"X-Forwarded-For": "203.0.113.9"}).connect()
    try:
        acks, rooms = [], []
        for i in range(4):
            rooms.append(f"s{i}-" + uuid.uuid4().hex[:6])
            script.join(rooms[-1])
            acks.append(script.call("set", {"room": rooms[-1], "key": "k", "value": i}))
        assert [a["ok"] for a in acks] == [True, True, True, False]
        assert acks[3]["error"]["code"] == "rate_limited"
        assert acks[3]["error"]["retry_after_ms"] > 0
        # Writes to rooms that exist cost nothing, and the connection stays usable.
        for _ in range(5):
            assert script.call("incr", {"room": rooms[0], "key": "n", "by": 1})["ok"]
        assert requests.get(f"{proxied.url}/api/rooms/{rooms[3]}", timeout=10
                            ).json()["version"] == 0  # the refused write made no room
    finally:
        script.disconnect()


def test_cli_lists_rooms_with_their_activity_and_deletes_one(tmp_path):
    store = f"sqlite:///{tmp_path}/rooms.db"
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "app.cli", "--store", store, *args], cwd=ROOT,
        capture_output=True, text=True, timeout=60)
    for room in ("alpha", "beta"):
        assert run("set", room, "k", "1").returncode == 0
    listed = run("rooms")
    assert listed.returncode == 0, listed.stderr
    names = [line.split("\t")[0] for line in listed.stdout.splitlines()]
    assert names == ["alpha", "beta"]
    assert "UTC" in listed.stdout and "idle" in listed.stdout
    deleted = run("rooms", "delete", "alpha")
    assert json.loads(deleted.stdout) == {"ok": True, "room": "alpha", "removed": True}
    assert [line.split("\t")[0] for line in run("rooms").stdout.splitlines()] == ["beta"]
    again = run("rooms", "delete", "alpha")
    assert again.returncode == 1 and json.loads(again.stdout)["removed"] is False


def test_over_the_tls_server_hsts_is_sent_and_the_presenter_cookie_is_secure(workdir, proxied):
    tls = Nginx(workdir, [proxied.port], tls=True).start()
    try:
        page = requests.get(tls.https_url + "/", verify=str(tls.cert), timeout=10)
        assert page.headers["Strict-Transport-Security"].startswith("max-age=")
        assert_secured(page)
        room = "tls-" + uuid.uuid4().hex[:6]
        created = requests.post(tls.https_url + "/rooms", data={"room": room},
                                allow_redirects=False, verify=str(tls.cert), timeout=10)
        assert created.status_code == 303
        cookie = next(c for c in created.raw.headers.getlist("Set-Cookie")
                      if c.startswith("chorus_presenter="))
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    finally:
        tls.stop()
