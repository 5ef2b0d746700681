"""The single-box Nginx (nginx/chorus.conf) keeps its connections to gunicorn alive, and its TLS
server (nginx/chorus-tls.conf) carries wss and https long-polling.

Upstream connections are counted from gunicorn's side: tests/peer_ports.py counts the requests
that arrive on each of Nginx's source ports. A control Nginx with ``keepalive`` taken out shows
that the count tells the difference.
"""

from __future__ import annotations

import pytest
import requests

from tests.support import Nginx, Server, SyncClient

POLLS = 60  # long-polls through Nginx, one request each


@pytest.fixture(scope="module")
def counted(workdir):
    """gunicorn counting its peers' ports, behind the shipped config and behind one without
    upstream keepalive."""
    server = Server(workdir, {"CHORUS_STORE": "memory://", "CHORUS_PROXIES": "1",
                              "CHORUS_POLL_INTERVAL": "0"}, app="tests.peer_ports:app").start()
    kept = Nginx(workdir, [server.port], tls=True)
    bare = Nginx(workdir, [server.port], edit=lambda conf: conf.replace("keepalive 16;", ""))
    try:
        kept.start()
        bare.start()
        yield server, kept, bare
    finally:
        kept.stop()
        bare.stop()
        server.stop()


def trusting(client: SyncClient, cert) -> SyncClient:
    """The client trusts the test's certificate, and only it (REQUESTS_CA_BUNDLE in the
    environment would otherwise win over the session's own choice)."""
    client.http.verify = str(cert)
    client.http.trust_env = False
    return client


def peer_ports(server: Server) -> dict[str, int]:
    return requests.get(server.url + "/_test/peer-ports", timeout=5,
                        headers={"Connection": "close"}).json()


def poll_through(server: Server, url: str, cert=None) -> int:
    """A polling client that writes POLLS times (each write one POST, each answer one GET);
    returns how many new upstream connections gunicorn saw meanwhile."""
    before = peer_ports(server)
    client = SyncClient(url, "polling")
    if cert is not None:
        trusting(client, cert)
    client.connect()
    try:
        client.join("kept")
        for i in range(POLLS):
            assert client.call("set", {"room": "kept", "key": "k", "value": i})["ok"]
    finally:
        client.disconnect()
    after = peer_ports(server)
    requests_seen = sum(after.values()) - sum(before.values())
    assert requests_seen >= 2 * POLLS  # a POST and a GET per write, at least
    return len(set(after) - set(before))


def test_polling_reuses_upstream_connections(counted):
    server, kept, bare = counted
    new_connections = poll_through(server, kept.url)
    assert new_connections <= 8, new_connections  # a handful, not one per request
    # The same through a config without keepalive: one new connection per request.
    assert poll_through(server, bare.url) >= 2 * POLLS


def test_https_polling_and_wss_through_the_tls_server(counted):
    server, kept, _ = counted
    page = requests.get(kept.https_url + "/healthz", timeout=5, verify=str(kept.cert))
    assert page.status_code == 200 and page.json()["ok"]
    assert poll_through(server, kept.https_url, kept.cert) <= 8
    wss = trusting(SyncClient(kept.https_url, "websocket"), kept.cert)
    wss.connect()
    try:
        assert wss.sio.transport() == "websocket"
        wss.join("tls")
        assert wss.call("set", {"room": "tls", "key": "k", "value": 1})["ok"]
        wss.wait_for(lambda: wss.latest("tls", "k") == 1, what="the change over wss")
    finally:
        wss.disconnect()
    # The app was told the page came over https (X-Forwarded-Proto): a same-origin https
    # page's socket is accepted, which it would not be if the app believed it was http.
    origin = trusting(SyncClient(kept.https_url, "polling", headers={"Origin": kept.https_url}),
                      kept.cert)
    origin.connect()
    origin.disconnect()
