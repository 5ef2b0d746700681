"""The self-check says what really serves the app: started the ways a Flask developer often
starts it (`flask run`, gunicorn without gunicorn.conf.py), /healthz reports that websockets
cannot work and the log says how to start it instead; started right, a websocket connects."""

from __future__ import annotations

import time

import pytest
import requests
import websocket

from tests.support import GUNICORN, ROOT, Server

FIX = "gunicorn -c gunicorn.conf.py wsgi:app"


class FlaskRun(Server):
    """`flask --app wsgi run`, as the Flask tutorial starts an app."""

    def command(self) -> list[str]:
        return [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi", "run",
                "--host", "127.0.0.1", "--port", str(self.port)]


class BareGunicorn(Server):
    """gunicorn with command-line options only: no gunicorn.conf.py (which gunicorn would read
    from the working directory by itself), so no post_fork hook tells the app how it runs."""

    def command(self) -> list[str]:
        return [str(GUNICORN), "-c", "/dev/null", *self.args, "-b", f"127.0.0.1:{self.port}",
                self.app]


def wait_for_log(server: Server, text: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = [line for line in server.log().splitlines() if text in line]
        if lines:
            return lines[0]
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not in the log:\n{server.log()[-3000:]}")


def upgrade_status(server: Server) -> int | None:
    """The HTTP status a websocket handshake gets (101 when it upgrades)."""
    try:
        ws = websocket.create_connection(
            f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket", timeout=5)
    except websocket.WebSocketBadStatusException as exc:
        return exc.status_code
    except (OSError, websocket.WebSocketException):
        return None
    try:
        assert ws.recv().startswith("0{")
        return 101
    finally:
        ws.close()


ENV = {"CHORUS_STORE": "memory://"}
WRONG_STARTS = {
    "flask run": lambda workdir: FlaskRun(workdir, ENV),
    "gunicorn -k gevent": lambda workdir: BareGunicorn(workdir, ENV, args=["-k", "gevent"]),
}


@pytest.mark.parametrize("start", list(WRONG_STARTS), ids=list(WRONG_STARTS))
def test_a_server_that_cannot_upgrade_says_so(workdir, start):
    srv = WRONG_STARTS[start](workdir)
    try:
        srv.start(healthy=False)
        reply = requests.get(srv.url + "/healthz", timeout=10)
        assert reply.status_code == 503, reply.text
        body = reply.json()
        assert body["websocket"] is False and body["ok"] is False
        assert any(FIX in problem for problem in body["problems"]), body["problems"]
        line = wait_for_log(srv, "self-check:")
        assert FIX in line and "WebSocket" in line
        assert upgrade_status(srv) != 101  # and it really cannot
    finally:
        srv.stop()


def test_two_workers_without_the_config_file_are_diagnosed(workdir):
    srv = BareGunicorn(workdir, ENV, args=["-w", "2", "-k", "chorus_worker.GeventWebSocketWorker"])
    try:
        srv.start(healthy=False)
        body = requests.get(srv.url + "/healthz", timeout=10).json()
        assert body["workers"] == 2 and body["ok"] is False
        assert any("gunicorn runs 2 workers" in p for p in body["problems"]), body["problems"]
        assert "gunicorn runs 2 workers" in wait_for_log(srv, "self-check:")
    finally:
        srv.stop()


def test_the_intended_start_says_ok_and_upgrades(server):
    body = requests.get(server.url + "/healthz", timeout=10).json()
    assert body["ok"] is True and body["websocket"] is True, body
    assert body["server"].startswith("gevent")
    assert upgrade_status(server) == 101
