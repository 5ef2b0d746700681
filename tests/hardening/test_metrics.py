"""/metrics moves with a small load, and is readable only where the config says; the optional
cap on connections per client address refuses past it, exempting loopback."""

from __future__ import annotations

import re

import pytest
import requests

from tests.support import Nginx, Server, SyncClient

TOKEN = "metrics-token"


@pytest.fixture(scope="module")
def server(workdir):
    srv = Server(workdir, {"CHORUS_STORE": "memory://", "CHORUS_PROXIES": "1",
                           "CHORUS_METRICS_TOKEN": TOKEN, "CHORUS_EVENT_BURST": "50",
                           "CHORUS_EVENT_RATE": "5",
                           "CHORUS_MAX_CONNECTIONS_PER_ADDRESS": "2"}).start()
    yield srv
    srv.stop()


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text format (0 when absent)."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        match = re.match(r"([a-z_]+)(\{[^}]*\})? (\S+)$", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(match.group(3))
    return 0.0


def scrape(server) -> str:
    reply = requests.get(server.url + "/metrics", timeout=5)
    assert reply.status_code == 200
    assert reply.headers["Content-Type"].startswith("text/plain")
    return reply.text


def test_counts_move_under_a_small_load(server):
    before = scrape(server)
    clients = [SyncClient(server.url, transport).connect()
               for transport in ("websocket", "polling")]
    try:
        for client in clients:
            assert client.join("metered")["ok"]
        for _ in range(10):
            assert clients[0].call("incr", {"room": "metered", "key": "n", "by": 1})["ok"]
        bad = clients[1].call("set", {"room": "metered", "key": "k"})
        assert bad["error"]["code"] == "bad_request"
        clients[0].wait_for(lambda: any(b["version"] >= 10 for b in clients[0].received(
            "changes")))
        after = scrape(server)
        assert sample(after, "chorus_clients", transport="websocket") >= 1
        assert sample(after, "chorus_clients", transport="polling") >= 1
        assert sample(after, "chorus_rooms") >= 1
        assert sample(after, "chorus_events_total", namespace="/sync", event="incr") - \
            sample(before, "chorus_events_total", namespace="/sync", event="incr") == 10
        assert sample(after, "chorus_acks_total", namespace="/sync", code="bad_request") - \
            sample(before, "chorus_acks_total", namespace="/sync", code="bad_request") == 1
        assert sample(after, "chorus_ack_seconds_count", namespace="/sync") - \
            sample(before, "chorus_ack_seconds_count", namespace="/sync") >= 13
        assert sample(after, "chorus_store_seconds_count", operation="apply") - \
            sample(before, "chorus_store_seconds_count", operation="apply") == 10
        assert sample(after, "chorus_batch_changes_count") > \
            sample(before, "chorus_batch_changes_count")
        assert sample(after, "chorus_draining") == 0
    finally:
        for client in clients:
            client.disconnect()


def test_rate_limited_acks_are_counted(server):
    client = SyncClient(server.url).connect()
    try:
        client.join("limited")
        answers = [client.call("incr", {"room": "limited", "key": "n", "by": 1})
                   for _ in range(60)]
        limited = [a for a in answers if not a["ok"]]
        assert limited and all(a["error"]["code"] == "rate_limited" and
                               a["retry_after_ms"] > 0 for a in limited)
        assert sample(scrape(server), "chorus_acks_total", namespace="/sync",
                      code="rate_limited") >= len(limited)
    finally:
        client.disconnect()


def test_only_allowed_networks_or_the_token_read_metrics(server):
    # CHORUS_PROXIES=1: the address is the one X-Forwarded-For gives, here a public one
    outside = {"X-Forwarded-For": "203.0.113.9"}
    refused = requests.get(server.url + "/metrics", headers=outside, timeout=5)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    wrong = requests.get(server.url + "/metrics", timeout=5,
                         headers={**outside, "Authorization": "Bearer nope"})
    assert wrong.status_code == 403
    allowed = requests.get(server.url + "/metrics", timeout=5,
                           headers={**outside, "Authorization": f"Bearer {TOKEN}"})
    assert allowed.status_code == 200 and "chorus_clients" in allowed.text


def test_nginx_does_not_serve_metrics(workdir, server):
    proxy = Nginx(workdir, [server.port]).start()
    try:
        reply = requests.get(proxy.url + "/metrics", timeout=5)
        assert reply.status_code == 403
        assert reply.json()["error"]["code"] == "forbidden"
    finally:
        proxy.stop()


def handshake(server, address: str) -> requests.Response:
    return requests.get(server.url + "/socket.io/?EIO=4&transport=polling", timeout=5,
                        headers={"X-Forwarded-For": address})


def test_connections_per_address_are_capped_but_loopback_is_not(server):
    first, second = handshake(server, "198.51.100.7"), handshake(server, "198.51.100.7")
    assert first.status_code == 200 and second.status_code == 200
    third = handshake(server, "198.51.100.7")
    assert third.status_code == 429
    assert third.json()["error"]["code"] == "rate_limited"
    assert handshake(server, "198.51.100.8").status_code == 200  # another address
    assert all(handshake(server, "127.0.0.1").status_code == 200 for _ in range(4))
    assert sample(scrape(server), "chorus_refused_connections_total",
                  reason="per_address") >= 1
