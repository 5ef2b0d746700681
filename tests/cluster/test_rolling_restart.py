"""A rolling restart of the three-instance cluster under load: each gunicorn in turn gets SIGTERM,
exits, and a new one starts on its port, while twenty clients behind Nginx keep writing. No
client stays away for long, nothing acknowledged is lost, and everyone ends with the same values.
"""

from __future__ import annotations

import threading
import uuid

import requests

from tests.hardening.restart_support import (
    TrackedClient,
    healthz,
    send_sigterm,
    wait_exit,
    wait_until,
)
from tests.support import SyncClient

CLIENTS = 20
GRACEFUL = 5  # the instances' CHORUS_GRACEFUL_TIMEOUT (the default)
LONGEST_GAP = 5.0  # seconds a client may be without a joined connection


class Load:
    """Every client writes in a loop, one write at a time, each retried with its op id until
    answered (ResilientClient.write): incr on the shared counter, set on its own key."""

    def __init__(self, clients: list[TrackedClient]) -> None:
        self.clients = clients
        self.lock = threading.Lock()
        self.increments = 0  # incr acknowledged ok
        self.writes = 0  # writes acknowledged ok
        self.last_set: dict[str, int] = {}  # client's key -> its last acknowledged value
        self.errors: list[str] = []
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        for c in self.clients:
            self.threads.append(threading.Thread(target=self._loop, args=(c,), daemon=True))
            self.threads[-1].start()

    def stop(self) -> None:
        self.stopping.set()
        for t in self.threads:
            t.join(30)

    def done(self) -> int:
        with self.lock:
            return self.writes

    def _loop(self, c: TrackedClient) -> None:
        seq = 0
        try:
            while not self.stopping.is_set():
                seq += 1
                if seq % 2:
                    ack = c.write("incr", {"key": "n", "by": 1}, timeout=20)
                else:
                    ack = c.write("set", {"key": c.client, "value": seq}, timeout=20)
                if not ack.get("ok"):
                    raise AssertionError(f"refused: {ack}")
                with self.lock:
                    self.writes += 1
                    if seq % 2:
                        self.increments += 1
                    else:
                        self.last_set[c.client] = seq
                self.stopping.wait(0.05)  # about 15 writes a second per client
        except Exception as exc:  # recorded for the test to report; the thread just ends
            with self.lock:
                self.errors.append(f"{c.client} ({c.transport}): {exc}; disconnects "
                                   f"{c.reasons()[-3:]}, gaps {[round(g, 1) for g in c.gaps()]}")


def test_rolling_restart_keeps_every_client_connected_and_loses_nothing(cluster):
    tag = uuid.uuid4().hex[:6]
    room = f"roll-{tag}"
    clients = [TrackedClient(cluster.nginx.url, room, "websocket" if i % 2 else "polling",
                             client=f"roll-{tag}-{i}", sticky=uuid.uuid4().hex)
               for i in range(CLIENTS)]
    load = Load(clients)
    exits = []
    try:
        for c in clients:
            c.start()
        load.start()
        wait_until(lambda: load.done() >= 100, 20, "the load to get going")

        for server in cluster.servers:
            held = healthz(server.url).json()["connections"]
            assert held > 0, f"no client on {server.port} to move"
            drops, done = sum(len(c.disconnects) for c in clients), load.done()
            sent = send_sigterm(server)
            stopped = wait_exit(server, sent, GRACEFUL + 5)
            assert stopped.code == 0, server.log()[-3000:]
            exits.append(round(stopped.seconds, 2))
            assert load.done() > done, "writes stopped while one instance was away"
            assert sum(len(c.disconnects) for c in clients) > drops, \
                f"the {held} clients of {server.port} were not disconnected"
            server.start()  # the same port and environment: /healthz 200 again
            # the next instance goes only once every client is back in the room
            try:
                wait_until(lambda: all(c.joined for c in clients), LONGEST_GAP + 2,
                           "every client to be joined again")
            except AssertionError:
                away = [(c.client, c.transport, c.reasons()) for c in clients if not c.joined]
                raise AssertionError(f"after restarting {server.port}, still away: {away}\n"
                                     f"nginx: {cluster.nginx.errors()[-1500:]}") from None

        done = load.done()
        wait_until(lambda: load.done() >= done + 100, 20, "writes after the last restart")
        load.stop()
        assert not load.errors, load.errors[:5]

        gaps = {c.client: [round(g, 2) for g in c.gaps()] for c in clients}
        too_long = {name: g for name, g in gaps.items() if g and max(g) > LONGEST_GAP}
        assert not too_long, f"disconnected longer than {LONGEST_GAP} s: {too_long}"
        # the same rule at the end: a client may be between connections, for less than the gap
        try:
            wait_until(lambda: all(c.sio.connected and c.joined for c in clients), LONGEST_GAP,
                       "every client connected and joined at the end")
        except AssertionError:
            away = [(c.client, c.transport, c.reasons()) for c in clients
                    if not (c.sio.connected and c.joined)]
            raise AssertionError(f"at the end, away for over {LONGEST_GAP} s: {away}") from None
        moved = sum(1 for c in clients if c.disconnects)

        total, last_set = load.increments, dict(load.last_set)
        for c in clients:  # everyone converges on the same values, every acked write in
            c.wait(lambda c=c: c.value("n") == total and all(
                c.value(key) == value for key, value in last_set.items()), timeout=30,
                what=f"n == {total} and every client's last set")
        fresh = SyncClient(cluster.nginx.url, "websocket").connect()
        try:
            values = fresh.join(room)["values"]
        finally:
            fresh.disconnect()
        assert values["n"]["value"] == total  # each acked incr exactly once, op retries too
        assert {key: values[key]["value"] for key in last_set} == last_set
        for server in cluster.servers:  # every restarted instance reads the same
            snapshot = requests.get(f"{server.url}/api/rooms/{room}", timeout=5).json()
            assert snapshot["values"]["n"]["value"] == total
        print(f"rolling restart: exits after {exits} s, {total} increments, "
              f"{load.done()} writes, {moved} clients moved, longest gap "
              f"{max((max(g) for g in gaps.values() if g), default=0):.2f} s")
    finally:
        load.stop()
        for c in clients:
            c.close()
