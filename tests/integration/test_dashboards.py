"""deploy/prometheus/chorus-rules.yml and deploy/grafana/chorus.json: the rules pass promtool's
check and its unit tests (tests/integration/chorus_rules_test.yml), every dashboard query is
valid PromQL, and every metric either file names is in a real /metrics answer of a real server
(Redis store and queue, with a little of everything: joins, writes, batches, a refusal past the
rate limit, a refused origin)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import requests
import socketio

from tests.support import ROOT, RedisServer, Server, SyncClient

RULES = ROOT / "deploy" / "prometheus" / "chorus-rules.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "chorus.json"
RULE_TESTS = Path(__file__).with_name("chorus_rules_test.yml")
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
METRIC = re.compile(r"\b(chorus_[a-z_]+)\b")
# Series Prometheus makes itself for each scrape target, not served by /metrics.
FROM_PROMETHEUS = {"up"}


def promtool(*args: str) -> subprocess.CompletedProcess:
    if not Path(PROMTOOL).exists():
        raise RuntimeError("promtool is missing: `make test` installs it (apt-get install "
                           "prometheus)")
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=60,
                          cwd=RULE_TESTS.parent)


def dashboard_queries() -> list[str]:
    board = json.loads(DASHBOARD.read_text())
    queries = [t["expr"] for panel in board["panels"] for t in panel["targets"]]
    for variable in board["templating"]["list"]:
        if variable["type"] == "query":
            queries.append(variable["definition"])
    return queries


def as_promql(query: str) -> str:
    """A Grafana query as Prometheus would receive it: its variables filled in."""
    return query.replace("$__rate_interval", "1m").replace("$instance", ".*")


def test_promtool_checks_the_rules():
    result = promtool("check", "rules", str(RULES))
    assert result.returncode == 0 and "SUCCESS: 8 rules found" in result.stdout, result


def test_promtool_rule_tests_fire_each_alert_when_they_should():
    result = promtool("test", "rules", RULE_TESTS.name)
    assert result.returncode == 0 and "SUCCESS" in result.stdout, result.stdout + result.stderr


def test_every_dashboard_query_is_valid_promql(tmp_path):
    """Each panel's query (label_values aside, a Grafana function) as a recording rule, which
    promtool parses as Prometheus would."""
    rules = ["groups:", "  - name: dashboard", "    rules:"]
    for number, query in enumerate(dashboard_queries()):
        if query.startswith("label_values("):
            continue
        rules += [f"      - record: chorus_dashboard:query{number}",
                  f"        expr: {json.dumps(as_promql(query))}"]
    path = tmp_path / "dashboard-rules.yml"
    path.write_text("\n".join(rules) + "\n")
    result = promtool("check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_dashboard_covers_what_an_operator_watches():
    board = json.loads(DASHBOARD.read_text())
    titles = {panel["title"] for panel in board["panels"]}
    assert {"Connections", "Joins per second", "Events per second", "Batches", "Ack latency",
            "Store latency", "Rate-limited and refused", "Store errors"} <= titles
    for panel in board["panels"]:  # per instance, and from the chosen data source
        assert panel["datasource"]["uid"] == "${datasource}"
        assert all('instance=~"$instance"' in t["expr"] and "instance" in t["legendFormat"]
                   for t in panel["targets"]), panel["title"]


@pytest.fixture(scope="module")
def metrics_text(workdir):
    """One real /metrics answer after a little of everything."""
    redis = RedisServer(workdir).start()
    server = Server(workdir, {"CHORUS_STORE": redis.url, "CHORUS_EVENT_RATE": "1",
                              "CHORUS_EVENT_BURST": "5"})
    try:
        server.start()
        clients = [SyncClient(server.url, transport).connect()
                   for transport in ("websocket", "polling")]
        try:
            for client in clients:
                client.join("watched")
            answers = [clients[0].call("incr", {"room": "watched", "key": "n", "by": 1})
                       for _ in range(6)]
            assert answers[-1]["error"]["code"] == "rate_limited"
            clients[1].wait_for(lambda: clients[1].received("changes"), what="a batch")
            stranger = SyncClient(server.url, "polling",
                                  headers={"Origin": "https://elsewhere.example"})
            with pytest.raises(socketio.exceptions.ConnectionError):
                stranger.connect()
            stranger.disconnect()
            reply = requests.get(server.url + "/metrics", timeout=5,
                                 headers={"Connection": "close"})
            assert reply.status_code == 200
            return reply.text
        finally:
            for client in clients:
                client.disconnect()
    finally:
        server.stop()
        redis.stop()


def served_names(text: str) -> set[str]:
    return {line.split("{")[0].split(" ")[0] for line in text.splitlines()
            if line and not line.startswith("#")}


def test_every_metric_named_is_served(metrics_text):
    served = served_names(metrics_text)
    used = set(METRIC.findall(RULES.read_text()))
    for query in dashboard_queries():
        used |= set(METRIC.findall(query))
    assert len(used) >= 12  # the scan found them, rather than nothing
    assert used - FROM_PROMETHEUS <= served, sorted(used - served)
    assert re.search(r"\bup\{job=\"chorus\"\}", RULES.read_text())  # the only outside name
    limited = [line for line in metrics_text.splitlines()
               if line.startswith("chorus_acks_total{") and 'code="rate_limited"' in line]
    assert limited and float(limited[0].split()[-1]) >= 1
