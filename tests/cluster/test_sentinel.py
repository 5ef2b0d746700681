"""Redis under Sentinel: the primary killed mid-run loses no acknowledged write, and bad
Sentinel settings are refused at start or reported, never served as if all were well.

A primary, a replica and three redis-sentinel processes (tests/redis_sentinel.py) and two
gunicorns with ``CHORUS_STORE=redis+sentinel://...``; everything is stopped by the fixture.
"""

from __future__ import annotations

import signal
import threading
import time
import uuid

import pytest
import redis
import requests

from tests.redis_sentinel import MASTER, SentinelRedis
from tests.support import Server, SyncClient, free_port


@pytest.fixture(scope="module")
def ha(workdir):
    sentinel_redis = SentinelRedis(workdir)
    servers: list[Server] = []
    try:
        sentinel_redis.launch()
        for _ in range(2):
            servers.append(Server(workdir, {"CHORUS_STORE": sentinel_redis.url}).start())
        yield sentinel_redis, servers
    finally:
        for server in servers:
            server.stop()
        sentinel_redis.stop_all()


def healthz(server: Server) -> requests.Response:
    return requests.get(server.url + "/healthz", timeout=5, headers={"Connection": "close"})


class Incrementer:
    """Clients each adding 1 to one key with an op id, resending the same op until it is
    acknowledged (as the browser's outbox does); every refusal's code is kept."""

    def __init__(self, clients: list[SyncClient], room: str) -> None:
        self.clients = clients
        self.room = room
        self.acked = 0
        self.refusals: list[str] = []
        self.cond = threading.Condition()
        self.running = threading.Event()
        self.stopped = threading.Event()  # set by stop(): the pauses below end at once
        self.threads = [threading.Thread(target=self._loop, args=(c,), daemon=True)
                        for c in clients]
        self.failure: BaseException | None = None

    def start(self) -> None:
        self.running.set()
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.running.clear()
        self.stopped.set()
        for thread in self.threads:
            thread.join(60)
        if self.failure:
            raise self.failure

    def wait_acked(self, count: int, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        with self.cond:
            while self.acked < count:
                assert self.failure is None, self.failure
                left = deadline - time.monotonic()
                assert left > 0, f"timed out waiting for {what} ({self.acked} acked)"
                self.cond.wait(min(left, 0.5))

    def _loop(self, client: SyncClient) -> None:
        try:
            while self.running.is_set():
                payload = {"room": self.room, "key": "n", "by": 1, "op": uuid.uuid4().hex}
                deadline = time.monotonic() + 60
                while not (ack := client.call("incr", payload, timeout=10))["ok"]:
                    with self.cond:
                        self.refusals.append(ack["error"]["code"])
                    assert ack["error"]["code"] == "unavailable", ack
                    assert time.monotonic() < deadline, f"no answer but {ack} for 60 s"
                    self.stopped.wait(0.1)  # a retry's pause, as the browser's outbox
                with self.cond:
                    self.acked += 1
                    self.cond.notify_all()
                self.stopped.wait(0.02)  # a person's pace, well inside the event rate limit
        except BaseException as exc:  # reported by stop() and wait_acked()
            with self.cond:
                self.failure = exc
                self.cond.notify_all()


@pytest.mark.timeout(150)
def test_primary_killed_mid_run_loses_no_acknowledged_write(ha):
    sentinel_redis, servers = ha
    room = "failover-" + uuid.uuid4().hex[:6]
    clients = [SyncClient(s.url, transport).connect()
               for s in servers for transport in ("websocket", "polling")]
    writer = Incrementer(clients, room)
    try:
        for c in clients:
            c.join(room)
        old = sentinel_redis.primary
        assert sentinel_redis.replica_online()
        writer.start()
        writer.wait_acked(200, 30, "writes before the failure")

        old.stop(signal.SIGKILL)
        # No primary: the store is unreachable and writes are refused as unavailable.
        assert all(healthz(s).status_code == 503 for s in servers)
        promoted = sentinel_redis.wait_for_new_primary(old, timeout=30)
        with writer.cond:
            after_promotion = writer.acked
        # Writes resume on the promoted replica, with Chorus left running.
        writer.wait_acked(after_promotion + 200, 30, "writes on the promoted replica")
        writer.stop()

        assert "unavailable" in writer.refusals
        total = writer.acked
        held = redis.Redis(port=promoted.port, socket_timeout=2).hget(f"chorus:{{{room}}}:val",
                                                                      "n")
        assert int(held) == total  # every acknowledged incr, once: none lost, none doubled
        for s in servers:
            assert healthz(s).status_code == 200
            snapshot = requests.get(f"{s.url}/api/rooms/{room}", timeout=5).json()
            assert snapshot["values"]["n"]["value"] == total
        # The message queue followed the failover too: each client hears the last change.
        for c in clients:
            c.wait_for(lambda c=c: c.latest(room, "n") == total, timeout=20,
                       what=f"the count {total} in a batch")
    finally:
        writer.running.clear()
        writer.stopped.set()
        for c in clients:
            c.disconnect()


@pytest.mark.timeout(150)
def test_no_write_is_acknowledged_that_the_stalled_replica_lacks(ha):
    """The replica stops (SIGSTOP) while writes go on, then the primary dies: a write
    acknowledged while the only replica could not hold it would be lost with the primary, so
    none is acknowledged (without the WAIT after each write they all would be). Each refused
    write, resent with its op after the failover, is then applied exactly once."""
    sentinel_redis, servers = ha
    sentinel_redis.restore()
    room = "stalled-" + uuid.uuid4().hex[:6]
    client = SyncClient(servers[0].url).connect()
    try:
        client.join(room)
        for _ in range(20):
            assert client.call("incr", {"room": room, "key": "n", "by": 1})["ok"]
        ops = [uuid.uuid4().hex for _ in range(5)]
        replica = sentinel_redis.replica
        replica.freeze()
        try:
            for op in ops:
                ack = client.call("incr", {"room": room, "key": "n", "by": 1, "op": op})
                assert not ack["ok"] and ack["error"]["code"] == "unavailable", ack
            old = sentinel_redis.primary
            old.stop(signal.SIGKILL)
        finally:
            replica.thaw()
        assert sentinel_redis.wait_for_new_primary(old, timeout=30) is replica
        for op in ops:
            deadline = time.monotonic() + 30
            payload = {"room": room, "key": "n", "by": 1, "op": op}
            while not (ack := client.call("incr", payload))["ok"]:
                assert ack["error"]["code"] == "unavailable" and time.monotonic() < deadline
                time.sleep(0.2)  # a retry's pause, as the browser's outbox
        ack = client.call("incr", {"room": room, "key": "n", "by": 1})
        assert ack["ok"] and ack["value"] == 26  # 20, the 5 resent ops once each, this one
    finally:
        client.disconnect()


def start_failing(workdir, store: str) -> tuple[int, str]:
    """Start gunicorn with ``store`` and wait for it to give up; its exit code and log."""
    server = Server(workdir, {"CHORUS_STORE": store})
    with pytest.raises(RuntimeError, match="gunicorn exited"):
        server.start(timeout=30)
    return server.proc.returncode, server.log()


@pytest.mark.parametrize("url, says", [
    ("redis+sentinel://127.0.0.1:26379/", "no master name"),
    ("redis+sentinel://127.0.0.1/chorus/0", "is not a Sentinel host:port"),
    ("redis+sentinel://127.0.0.1:26379,:x/chorus/0", "is not a Sentinel host:port"),
    ("redis+sentinel://127.0.0.1:26379/chorus/zero", "a database number"),
    ("redis+sentinel://127.0.0.1:26379/chorus/0?replica=1", "unknown option 'replica'"),
])
def test_malformed_sentinel_url_stops_the_start_in_one_line(workdir, url, says):
    code, log = start_failing(workdir, url)
    assert code != 0
    lines = [line for line in log.splitlines() if "cannot start" in line]
    assert len(lines) == 1 and "CHORUS_STORE=" in lines[0] and says in lines[0], log
    assert "Traceback" not in log


def test_unknown_master_name_stops_the_start(ha, workdir):
    sentinel_redis, _ = ha
    code, log = start_failing(workdir, sentinel_redis.url.replace(f"/{MASTER}/", "/typo/"))
    assert code != 0
    lines = [line for line in log.splitlines() if "cannot start" in line]
    assert len(lines) == 1 and "CHORUS_STORE=" in lines[0], log
    assert f"named 'typo' (they watch: {MASTER})" in lines[0]


def test_unreachable_sentinels_are_reported_and_writes_refused(workdir):
    nobody = f"redis+sentinel://127.0.0.1:{free_port()},127.0.0.1:{free_port()}/{MASTER}/0"
    server = Server(workdir, {"CHORUS_STORE": nobody, "CHORUS_API_TOKEN": "t"})
    server.start(healthy=False)
    try:
        assert "self-check: CHORUS_STORE: no Redis Sentinel answers" in server.log()
        health = healthz(server)
        assert health.status_code == 503 and health.json()["store"] is False
        client = SyncClient(server.url).connect()
        try:
            ack = client.call("join", {"room": "r"})
            assert ack["ok"] is False and ack["error"]["code"] == "unavailable"
            ack = client.call("set", {"room": "r", "key": "k", "value": 1})
            assert ack["ok"] is False
        finally:
            client.disconnect()
        put = requests.put(f"{server.url}/api/rooms/r/values/k", json={"value": 1}, timeout=5,
                           headers={"Authorization": "Bearer t"})
        assert put.status_code == 503 and put.json()["error"]["code"] == "unavailable"
    finally:
        server.stop()
