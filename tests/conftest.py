"""Fixtures shared by every test: servers and clients are real, started once per module."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import TARGET, Nginx, SyncClient, target_server


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("chorus")


@pytest.fixture(scope="module")
def server(workdir):
    """One gunicorn with the memory store for the whole module, trusting one proxy."""
    srv = target_server(workdir, {"CHORUS_STORE": "memory://", "CHORUS_PROXIES": "1"}).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def nginx(workdir, server):
    """Nginx with nginx/chorus.conf in front of ``server``, started when a test asks for it."""
    proxy = Nginx(workdir, [server.port]).start()
    yield proxy
    proxy.stop()


@pytest.fixture(params=["websocket", "polling"])
def transport(request) -> str:
    return request.param


@pytest.fixture(params=["direct", "nginx"] if TARGET == "chorus" else ["direct"])
def base_url(request, server) -> str:
    """The server's address, straight or through Nginx: every contract test runs both ways."""
    if request.param == "nginx":
        return request.getfixturevalue("nginx").url
    return server.url


@pytest.fixture
def connect(base_url, transport):
    """Connect python-socketio clients over ``transport`` to ``base_url``; closed at the end."""
    made: list[SyncClient] = []

    def make(url: str | None = None, via: str | None = None, **kwargs) -> SyncClient:
        client = SyncClient(url or base_url, via or transport, **kwargs)
        made.append(client)
        return client.connect()

    yield make
    for client in made:
        client.disconnect()


def pytest_collection_modifyitems(config, items):
    """Against a reference server (CHORUS_TEST_TARGET), only the contract's own checks run:
    tests marked chorus_only test choices the contract leaves open (coalescing, logs...)."""
    if TARGET == "chorus":
        return
    kept = [item for item in items if item.get_closest_marker("chorus_only") is None]
    config.hook.pytest_deselected(items=[i for i in items if i not in kept])
    items[:] = kept
