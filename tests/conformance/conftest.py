"""One echo server per transport kind for the module: Chorus's worker, lean or stock sockets."""

from __future__ import annotations

import pytest

from tests.support import GUNICORN, Server


class EchoServer(Server):
    def command(self) -> list[str]:
        return [str(GUNICORN), "-c", "/dev/null", "-k", "chorus_worker.GeventWebSocketWorker",
                "-b", f"127.0.0.1:{self.port}", self.app]

    def wait_healthy(self, timeout: float = 30.0, healthy: bool = True) -> dict:
        import time

        import requests
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"echo server exited:\n{self.log()}")
            try:
                requests.get(self.url + "/", timeout=2)
                return {}
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError(f"echo server not up after {timeout} s:\n{self.log()}")


@pytest.fixture(scope="module", params=["lean", "stock"])
def sockets(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def engineio_echo(workdir, sockets):
    srv = EchoServer(workdir, {"CHORUS_LEAN_SOCKETS": "1" if sockets == "lean" else "0"},
                     app="tests.conformance.echo_app:engineio_app").start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def socketio_echo(workdir, sockets):
    srv = EchoServer(workdir, {"CHORUS_LEAN_SOCKETS": "1" if sockets == "lean" else "0"},
                     app="tests.conformance.echo_app:socketio_app").start()
    yield srv
    srv.stop()
