"""app/cli.py against a real server: writes over the HTTP API, watch printing JSON lines."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid

import pytest

from app.cli import send
from app.state.errors import ChorusError
from tests.client.conftest import API_TOKEN, read_lines
from tests.support import ROOT


def cli(*args: str, token: str | None = API_TOKEN) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("CHORUS_API_TOKEN", "CHORUS_URL")}
    if token is not None:
        env["CHORUS_API_TOKEN"] = token
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_writes_go_over_http_with_the_token(server):
    room = f"cli-{uuid.uuid4().hex[:8]}"
    done = cli("--url", server.url, "set", room, "banner", '{"text": "hi"}')
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"ok": True, "version": 1}
    done = cli("--url", server.url, "--op", "once", "incr", room, "count", "2")
    again = cli("--url", server.url, "--op", "once", "incr", room, "count", "2")
    assert json.loads(done.stdout) == json.loads(again.stdout) == {
        "ok": True, "value": 2, "version": 1}
    got = json.loads(cli("--url", server.url, "get", room, token=None).stdout)
    assert got["values"] == {"banner": {"value": {"text": "hi"}, "version": 1},
                             "count": {"value": 2, "version": 1}}
    assert send("delete", room, "banner", url=server.url, token=API_TOKEN) == {
        "ok": True, "version": 2}


@pytest.mark.parametrize("token", ["wrong", None])
def test_a_wrong_or_missing_token_is_refused_naming_403(server, token):
    done = cli("--url", server.url, "set", "cli-refused", "k", "1", token=token)
    assert done.returncode == 1
    error = json.loads(done.stdout)["error"]
    assert error["code"] == "forbidden" and "403" in error["message"], error
    with pytest.raises(ChorusError, match="403"):
        send("set", "cli-refused", "k", value=1, url=server.url, token=token or "")


def test_an_unreachable_server_is_a_clear_error():
    done = cli("--url", "http://127.0.0.1:9", "get", "demo")
    assert done.returncode == 1
    assert "cannot reach http://127.0.0.1:9" in json.loads(done.stdout)["error"]["message"]


def test_watch_prints_one_json_line_per_change(server):
    room = f"watch-{uuid.uuid4().hex[:8]}"
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "--url", server.url, "watch",
                             room, "n"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        lines = read_lines(proc)
        lines.wait_for(lambda items: items and items[0], what="the watching line")
        assert json.loads(lines.items[0])["watching"] == room
        for by in (1, 2, 3):
            send("incr", room, "n", by=by, url=server.url, token=API_TOKEN)
            send("set", room, "other", value=by, url=server.url, token=API_TOKEN)
            lines.wait_for(lambda items, by=by: len(items) >= 1 + by, what=f"change {by}")
        printed = [json.loads(line) for line in lines.items[1:4]]
        assert printed == [
            {"room": room, "key": "n", "value": v, "version": i, "deleted": False}
            for i, v in ((1, 1), (2, 3), (3, 6))]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
