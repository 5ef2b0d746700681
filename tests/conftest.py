"""Fixtures shared by every test: servers and clients are real, started once per module."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import Server, SyncClient


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("chorus")


@pytest.fixture(scope="module")
def server(workdir):
    """One gunicorn with the memory store for the whole module."""
    srv = Server(workdir, {"CHORUS_STORE": "memory://"}).start()
    yield srv
    srv.stop()


@pytest.fixture(params=["websocket", "polling"])
def transport(request) -> str:
    return request.param


@pytest.fixture
def connect(server, transport):
    """Connect python-socketio clients to ``server`` over ``transport``; closed at the end."""
    made: list[SyncClient] = []

    def make(url: str | None = None, via: str | None = None, **kwargs) -> SyncClient:
        client = SyncClient(url or server.url, via or transport, **kwargs)
        made.append(client)
        return client.connect()

    yield make
    for client in made:
        client.disconnect()
