"""Losing a process or Redis: nothing acknowledged is lost, and everyone converges by itself."""

from __future__ import annotations

import signal
import threading
import time
import uuid

import pytest
import requests

from tests.cluster.conftest import start_cluster
from tests.resilient import ResilientClient
from tests.support import SyncClient


@pytest.fixture
def fresh_cluster(workdir):
    running = start_cluster(workdir)
    yield running
    running.stop()


class Counter:
    """Clients that each add 1 to one key, over and over, counting the increments acked."""

    def __init__(self, clients: list[ResilientClient]) -> None:
        self.clients = clients
        self.acked = 0
        self.lock = threading.Lock()
        self.running = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        self.running.set()
        for c in self.clients:
            t = threading.Thread(target=self._loop, args=(c,), daemon=True)
            t.start()
            self.threads.append(t)

    def stop(self) -> None:
        self.running.clear()
        for t in self.threads:
            t.join(90)

    def _loop(self, client: ResilientClient) -> None:
        while self.running.is_set():
            ack = client.write("incr", {"key": "n", "by": 1}, timeout=60)
            assert ack["ok"], ack
            with self.lock:
                self.acked += 1
            time.sleep(0.02)


def healthz(server) -> requests.Response:
    return requests.get(server.url + "/healthz", timeout=5, headers={"Connection": "close"})


def test_killed_instance_clients_move_and_nothing_acked_is_lost(fresh_cluster):
    room = "kill-" + uuid.uuid4().hex[:6]
    clients = [ResilientClient(fresh_cluster.nginx.url, room,
                               "websocket" if i % 2 else "polling",
                               sticky=uuid.uuid4().hex).start() for i in range(12)]
    counter = Counter(clients)
    try:
        for c in clients:
            c.wait(lambda c=c: c.members == 12, what="twelve members")
        counter.start()
        time.sleep(1.0)  # writes in flight everywhere
        busiest = max(fresh_cluster.servers, key=lambda s: healthz(s).json()["connections"])
        assert healthz(busiest).json()["connections"] > 0
        busiest.stop(signal.SIGKILL)
        time.sleep(2.0)  # its clients reconnect through Nginx to the others, and keep writing
        counter.stop()

        total = counter.acked
        for c in clients:
            c.wait(lambda c=c: c.value("n") == total, timeout=30,
                   what=f"the count to converge on {total}")
        alive = [s for s in fresh_cluster.servers if s is not busiest]
        snapshot = requests.get(f"{alive[0].url}/api/rooms/{room}").json()
        assert snapshot["values"]["n"]["value"] == total  # every acked incr, once
        # the dead process's presence expires by itself: back to exactly twelve, within 30 s
        for c in clients:
            c.wait(lambda c=c: c.members == 12, timeout=30, what="presence to heal")
    finally:
        counter.running.clear()
        for c in clients:
            c.close()


def test_redis_restart_unavailable_then_everyone_converges(fresh_cluster):
    room = "outage-" + uuid.uuid4().hex[:6]
    servers = fresh_cluster.servers
    plain = [SyncClient(s.url, "websocket" if i % 2 else "polling").connect()
             for i, s in enumerate(servers)]
    try:
        for c in plain:
            c.join(room)
        assert plain[0].call("set", {"room": room, "key": "before", "value": 1})["ok"]
        for i in range(30):
            assert plain[i % 3].call("incr", {"room": room, "key": "n", "by": 1})["ok"]

        fresh_cluster.redis.stop(signal.SIGTERM)
        for s in servers:
            assert healthz(s).status_code == 503
        answers = [c.call("incr", {"room": room, "key": "n", "by": 1}, timeout=10)
                   for c in plain for _ in range(5)]
        assert all(a["ok"] is False and a["error"]["code"] == "unavailable" for a in answers)

        fresh_cluster.redis.start()
        deadline = time.monotonic() + 15
        while any(healthz(s).status_code != 200 for s in servers):
            assert time.monotonic() < deadline, "instances did not recover by themselves"
            time.sleep(0.2)
        for c in plain:
            deadline = time.monotonic() + 10
            while not (ack := c.call("incr", {"room": room, "key": "n", "by": 1}))["ok"]:
                assert time.monotonic() < deadline, ack
                time.sleep(0.2)
        # 30 before + 3 after; the refused ones never happened. Everyone hears of it.
        for c in plain:
            c.wait_for(lambda c=c: c.latest(room, "n") == 33, timeout=15,
                       what="the count after the outage")
        snapshot = plain[1].join(room)
        assert snapshot["values"]["before"]["value"] == 1
        assert snapshot["values"]["n"]["value"] == 33
    finally:
        for c in plain:
            c.disconnect()


def test_frozen_redis_answers_unavailable_within_two_seconds(fresh_cluster):
    room = "frozen-" + uuid.uuid4().hex[:6]
    a = SyncClient(fresh_cluster.servers[0].url).connect()
    b = SyncClient(fresh_cluster.servers[1].url).connect()
    try:
        a.join(room)
        b.join(room)
        assert a.call("incr", {"room": room, "key": "n", "by": 1})["ok"]
        fresh_cluster.redis.freeze()
        try:
            for client in (a, b, a):
                started = time.monotonic()
                ack = client.call("incr", {"room": room, "key": "n", "by": 1}, timeout=10)
                elapsed = time.monotonic() - started
                assert ack["ok"] is False and ack["error"]["code"] == "unavailable"
                assert elapsed < 2.0, f"answered after {elapsed:.2f} s"
            time.sleep(1.0)  # the refused writes wait in Redis's socket buffers meanwhile
        finally:
            fresh_cluster.redis.thaw()
        deadline = time.monotonic() + 10
        while not (ack := a.call("incr", {"room": room, "key": "n", "by": 1}))["ok"]:
            assert time.monotonic() < deadline, ack
            time.sleep(0.2)
        assert ack["value"] == 2  # the writes answered `unavailable` were not applied later
        b.wait_for(lambda: b.latest(room, "n") == 2, timeout=15, what="the write after SIGCONT")
    finally:
        a.disconnect()
        b.disconnect()
