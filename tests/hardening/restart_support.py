"""Helpers for the restart tests: SIGTERM a gunicorn and time its exit, watch a client's
disconnects and rejoins, and keep a ledger of asynchronous writes and their acks.

Used by tests/hardening/test_graceful_restart.py and tests/cluster/test_rolling_restart.py.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from tests.resilient import ResilientClient
from tests.support import ROOT, Server

# python-socketio's name for an Engine.IO connection that ended without a CLOSE packet (the
# socket.io-client's "transport close"): the reason a client reconnects by itself after.
TRANSPORT_ERROR = "transport error"


def wait_until(predicate: Callable[[], Any], timeout: float, what: str,
               interval: float = 0.02) -> Any:
    """Poll ``predicate`` until it is truthy; its value, or AssertionError at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def healthz(url: str, timeout: float = 5.0) -> requests.Response:
    return requests.get(url + "/healthz", timeout=timeout, headers={"Connection": "close"})


def worker_pid(server: Server) -> int:
    """The pid of the (one) worker of a running gunicorn master."""
    master = server.proc.pid

    def child() -> int | None:
        try:
            kids = open(f"/proc/{master}/task/{master}/children").read().split()
        except FileNotFoundError:
            return None
        return int(kids[0]) if kids else None

    return wait_until(child, 10, "gunicorn's worker")


def main_thread_sleeping(pid: int) -> bool:
    """True while the process's main thread sits in nanosleep/clock_nanosleep (x86-64), which a
    gevent worker does only inside a blocking C call such as SQLite's busy wait; an idle worker
    waits in epoll_wait."""
    try:
        number = open(f"/proc/{pid}/task/{pid}/syscall").read().split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return number in ("35", "230")


@dataclass
class Exit:
    code: int
    seconds: float  # from the SIGTERM


def send_sigterm(server: Server) -> float:
    """SIGTERM gunicorn's master; returns when (time.monotonic())."""
    sent = time.monotonic()
    server.proc.send_signal(signal.SIGTERM)
    return sent


def wait_exit(server: Server, since: float, timeout: float) -> Exit:
    """Wait for gunicorn's master to exit: its status and the seconds since ``since``."""
    try:
        code = server.proc.wait(max(timeout - (time.monotonic() - since), 0.1))
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait()
        raise AssertionError(f"gunicorn on {server.port} did not exit within {timeout} s of "
                             f"SIGTERM:\n{server.log()[-3000:]}") from None
    return Exit(code, time.monotonic() - since)


def sigterm(server: Server, timeout: float) -> Exit:
    """SIGTERM gunicorn's master and wait for it to exit."""
    return wait_exit(server, send_sigterm(server), timeout)


def ensure_running(server: Server) -> None:
    """Start ``server`` again if an earlier test left it stopped."""
    if server.proc is None or server.proc.poll() is not None:
        server.start()


def cli(store: str, *args: str) -> str:
    """Run ``python -m app.cli --store STORE ARGS`` (a write from outside, no server needed)."""
    done = subprocess.run([sys.executable, "-m", "app.cli", "--store", store, *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


class TrackedClient(ResilientClient):
    """A ResilientClient that also records when it lost its connection (and why), when it got
    one back and each successful join, with whether the join answered with ``changes``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connects: list[float] = []
        self.disconnects: list[tuple[float, Any]] = []
        self.join_log: list[tuple[float, str]] = []  # (when, "changes" or "values")

    def _on_connect(self) -> None:
        with self.lock:
            self.connects.append(time.monotonic())
            self.lock.notify_all()
        super()._on_connect()

    def _on_disconnect(self, *args: Any) -> None:
        with self.lock:
            self.disconnects.append((time.monotonic(), args[0] if args else None))
            self.joined = False
            self.lock.notify_all()

    def _on_join(self, ack: dict) -> None:
        super()._on_join(ack)
        if ack.get("ok"):
            with self.lock:
                self.join_log.append((time.monotonic(),
                                      "changes" if "changes" in ack else "values"))
                self.lock.notify_all()

    def gaps(self, now: float | None = None) -> list[float]:
        """Seconds from each disconnect to the next successful join (to ``now`` if none yet)."""
        now = time.monotonic() if now is None else now
        with self.lock:
            joins = [at for at, _ in self.join_log]
            out = []
            for lost, _ in self.disconnects:
                back = next((at for at in joins if at >= lost), None)
                out.append((back if back is not None else now) - lost)
            return out

    def reasons(self) -> list[Any]:
        with self.lock:
            return [reason for _, reason in self.disconnects]


@dataclass
class Write:
    client: str
    event: str
    payload: dict
    sent_at: float
    ack: dict | None = None


class Ledger:
    """Every write sent asynchronously, in order, with the ack it got (None: no ack yet)."""

    def __init__(self) -> None:
        self.writes: list[Write] = []
        self.cond = threading.Condition()
        self.pending: Counter[str] = Counter()  # client -> writes sent and not answered

    def add(self, client: str, event: str, payload: dict) -> Write:
        write = Write(client, event, payload, time.monotonic())
        with self.cond:
            self.writes.append(write)
            self.pending[client] += 1
        return write

    def answer(self, write: Write) -> Callable[..., None]:
        """The ack callback for ``write``."""
        def record(*args: Any) -> None:
            with self.cond:
                if write.ack is None:
                    self.pending[write.client] -= 1
                write.ack = args[0] if args else {"ok": False, "error": {"code": "empty ack"}}
                self.cond.notify_all()
        return record

    def wait_below(self, client: str, cap: int, timeout: float) -> bool:
        """Wait until fewer than ``cap`` of ``client``'s writes await their ack."""
        with self.cond:
            return self.cond.wait_for(lambda: self.pending[client] < cap, timeout)

    def ok(self, event: str | None = None) -> list[Write]:
        with self.cond:
            return [w for w in self.writes if w.ack is not None and w.ack.get("ok")
                    and event in (None, w.event)]

    def refused(self) -> list[Write]:
        with self.cond:
            return [w for w in self.writes if w.ack is not None and not w.ack.get("ok")]

    def unanswered(self, event: str | None = None) -> list[Write]:
        with self.cond:
            return [w for w in self.writes if w.ack is None and event in (None, w.event)]
