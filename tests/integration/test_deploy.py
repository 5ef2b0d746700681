"""Deployment: the self-check, Nginx's recipe, and one-line diagnoses of the usual mistakes."""

from __future__ import annotations

import time

import pytest
import requests
import socketio

from tests.support import Nginx, Server, SyncClient


def wait_for_log(server: Server, text: str, timeout: float = 10.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = [line for line in server.log().splitlines() if text in line]
        if lines:
            return lines
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not in the log:\n{server.log()[-3000:]}")


def test_healthz_reports_how_it_is_served(server):
    body = requests.get(server.url + "/healthz").json()
    assert body["ok"] is True and body["problems"] == []
    assert body["async_mode"] == "gevent"
    assert body["worker_class"] == "chorus_worker.GeventWebSocketWorker"
    assert body["workers"] == 1
    assert body["websocket"] is True
    assert body["message_queue"] is None
    line = wait_for_log(server, "serving: async mode gevent")[0]
    assert "GeventWebSocketWorker x 1" in line and "websocket yes" in line


def test_plain_gevent_worker_is_diagnosed(workdir):
    """Started with gunicorn's plain gevent worker: one error line with the fix, and 503."""
    srv = Server(workdir, {"CHORUS_STORE": "memory://"}, args=["-k", "gevent"])
    try:
        srv.start(healthy=False)
        line = wait_for_log(srv, "cannot upgrade requests to WebSocket")[0]
        assert "GeventWebSocketWorker" in line and "ERROR" in line
        reply = requests.get(srv.url + "/healthz")
        assert reply.status_code == 503
        body = reply.json()
        assert body["websocket"] is False
        assert body["worker_class"] == "gunicorn.workers.ggevent.GeventWorker"
        assert any("cannot upgrade" in p for p in body["problems"])
    finally:
        srv.stop()


def test_two_workers_are_diagnosed(workdir):
    """Started with two workers: each says in one line why that breaks clients, and the fix."""
    srv = Server(workdir, {"CHORUS_STORE": "memory://"}, args=["-w", "2"])
    try:
        srv.start(healthy=False)
        lines = wait_for_log(srv, "gunicorn runs 2 workers")
        assert "workers = 1" in lines[0] and "sticky upstream" in lines[0]
        assert requests.get(srv.url + "/healthz").status_code == 503
    finally:
        srv.stop()


def test_static_files_are_served_by_nginx(nginx):
    reply = requests.get(nginx.url + "/static/style.css")
    assert reply.status_code == 200 and "text/css" in reply.headers["Content-Type"]
    assert reply.headers.get("Cache-Control") == "max-age=3600"  # nginx's `expires 1h`
    assert "Last-Modified" in reply.headers
    script = requests.get(nginx.url + "/static/vendor/socket.io.min.js")
    assert script.status_code == 200 and "javascript" in script.headers["Content-Type"]


def test_nginx_refuses_a_polling_post_over_the_cap(nginx):
    reply = requests.post(nginx.url + "/socket.io/?EIO=4&transport=polling&sid=x",
                          data=b"4" * 1_000_001)
    assert reply.status_code == 413


def test_pages_set_the_sticky_cookie_once(nginx):
    first = requests.get(nginx.url + "/r/sticky")
    token = first.cookies.get("chorus_sticky")
    assert token and len(token) >= 12
    again = requests.get(nginx.url + "/r/sticky", cookies={"chorus_sticky": token})
    assert "chorus_sticky" not in again.cookies


def test_proxy_fix_restores_scheme_for_the_origin_check(server):
    """With CHORUS_PROXIES=1 an https page behind a TLS proxy passes the same-origin check;
    without X-Forwarded-Proto it is refused, with the likely fix in the log line."""
    host = server.url.removeprefix("http://")
    origin = f"https://{host}"
    ok = requests.get(server.url + "/socket.io/?EIO=4&transport=polling",
                      headers={"Origin": origin, "X-Forwarded-Proto": "https",
                               "X-Forwarded-For": "203.0.113.9"})
    assert ok.status_code == 200 and ok.text.startswith("0{")
    refused = requests.get(server.url + "/socket.io/?EIO=4&transport=polling",
                           headers={"Origin": origin})
    assert refused.status_code == 400
    line = wait_for_log(server, f"origin {origin}:")[0]
    assert "CHORUS_PROXIES=1" in line


def test_missing_upgrade_header_is_diagnosed(workdir, server):
    """Behind a proxy that drops Upgrade: clients still work over polling, and the app says
    in one line what the proxy does wrong."""
    blocking = Nginx(workdir, [server.port], strip_upgrade=True).start()
    try:
        client = SyncClient(blocking.url, "polling").connect()
        assert client.join("through-blocking-proxy")["ok"]
        client.disconnect()
        with pytest.raises(socketio.exceptions.ConnectionError):
            SyncClient(blocking.url, "websocket").connect()
        lines = wait_for_log(server, "without its Upgrade header")
        assert len(lines) == 1 and "proxy_set_header Upgrade" in lines[0]
        counts = requests.get(server.url + "/healthz").json()["proxy_diagnostics"]
        assert counts["websocket_without_upgrade"] >= 1
    finally:
        blocking.stop()


def test_unknown_session_is_diagnosed(server):
    reply = requests.get(server.url + "/socket.io/?EIO=4&transport=polling&sid=not-a-session")
    assert reply.status_code == 400
    line = wait_for_log(server, "a session this process does not hold")[0]
    assert "sticky upstream" in line
