"""CHORUS_LOG_FORMAT=json: every line gunicorn and the app write is one JSON object, with the
room, client, event and code of the text lines as fields of their own, the access log too."""

from __future__ import annotations

import json
import subprocess
import sys

import requests

from tests.support import ROOT, Server, SyncClient


def test_every_line_is_json_with_the_text_lines_fields(workdir):
    server = Server(workdir, {"CHORUS_STORE": "memory://", "CHORUS_LOG_FORMAT": "json",
                              "CHORUS_ACCESS_LOG": "1", "CHORUS_EVENT_RATE": "1",
                              "CHORUS_EVENT_BURST": "3"}).start()
    try:
        client = SyncClient(server.url, "polling", client="json-logs-client").connect()
        try:
            client.join("logged-room")
            answers = [client.call("set", {"room": "logged-room", "key": "k", "value": i})
                       for i in range(4)]
            assert answers[-1]["error"]["code"] == "rate_limited"
        finally:
            client.disconnect()
        assert requests.get(server.url + "/healthz", timeout=5,
                            headers={"Connection": "close"}).status_code == 200
    finally:
        server.stop()

    lines = [line for line in server.log().splitlines() if line.strip()]
    records = []
    for number, line in enumerate(lines, 1):
        try:
            records.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"line {number} is not JSON: {line!r}") from None
    assert all(isinstance(r, dict) and {"time", "level", "logger", "pid", "message"} <= set(r)
               for r in records), records[:3]

    def one(predicate) -> dict:
        found = [r for r in records if predicate(r)]
        assert found, "\n".join(lines[-30:])
        return found[0]

    joined = one(lambda r: r.get("event") == "join")
    assert joined["room"] == "logged-room" and joined["client"] == "json-logs-client"
    assert "joined logged-room" in joined["message"]
    refused = one(lambda r: r.get("code") == "rate_limited")
    assert refused["event"] == "set" and refused["client"] == "json-logs-client"
    left = one(lambda r: r.get("event") == "leave")
    assert left["room"] == "logged-room"
    # gunicorn's own error log and its access log go the same way.
    one(lambda r: r["logger"] == "gunicorn.error" and "Booting worker" in r["message"])
    access = one(lambda r: r.get("path") == "/healthz")
    assert access["status"] == "200" and access["method"] == "GET"
    assert access["remote"] == "127.0.0.1"
    one(lambda r: r.get("path", "").startswith("/socket.io/") and r.get("method") == "POST")


def test_text_stays_the_default_and_an_unknown_format_is_refused():
    probe = ("import runpy, json; c = runpy.run_path('gunicorn.conf.py'); "
             "print(json.dumps(c['logconfig_dict']['formatters']['line'], default=str))")
    text = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    assert json.loads(text.stdout)["format"].startswith("%(asctime)s [%(process)d]")
    bad = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                         text=True, env={"CHORUS_LOG_FORMAT": "xml", "PATH": "/usr/bin"})
    assert bad.returncode != 0 and "CHORUS_LOG_FORMAT='xml': must be text or json" in bad.stderr
