"""Several processes, one truth: writes, incr, op ids, presence and outside writes across three
gunicorns sharing Redis."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import uuid

import pytest
import requests

from tests.cluster.conftest import TOKEN
from tests.events_reader import EventReader
from tests.resilient import ResilientClient
from tests.support import ROOT, SyncClient


def room_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_clients_on_different_instances_see_each_others_writes(cluster, transport):
    room = room_name("across")
    clients = [SyncClient(s.url, transport).connect() for s in cluster.servers]
    try:
        for c in clients:
            c.join(room)
        for i, c in enumerate(clients):
            assert c.call("set", {"room": room, "key": f"from{i}", "value": i})["ok"]
        for c in clients:
            c.wait_for(lambda c=c: all(c.latest(room, f"from{i}") == i for i in range(3)),
                       what="every instance's write")
            batches = [b for b in c.received("changes") if b["room"] == room]
            for before, after in zip(batches, batches[1:], strict=False):
                assert after["from"] == before["version"]  # the chain holds per client
    finally:
        for c in clients:
            c.disconnect()


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_through_the_sticky_upstream(cluster, transport):
    """Clients with different sticky cookies, through Nginx: polling only works if every
    request of a client reaches the same instance."""
    room = room_name("sticky")
    clients = [ResilientClient(cluster.nginx.url, room, transport,
                               sticky=uuid.uuid4().hex).start() for _ in range(6)]
    try:
        for i, c in enumerate(clients):
            assert c.write("set", {"key": f"k{i}", "value": i})["ok"]
        for c in clients:
            c.wait(lambda c=c: all(c.value(f"k{i}") == i for i in range(6)),
                   what="all six writes")
            c.wait(lambda c=c: c.members == 6, what="presence of six")
        assert all(c.joins == 1 for c in clients), "no client had to reconnect"
    finally:
        for c in clients:
            c.close()


def test_incr_is_exact_across_three_instances(cluster):
    """3 instances x 10 clients x 100 incr at once: exactly 3,000 everywhere."""
    room = room_name("exact")
    clients = [SyncClient(s.url, "websocket" if n % 2 else "polling").connect()
               for s in cluster.servers for n in range(10)]
    acks: list[dict] = []
    lock = threading.Lock()
    done = threading.Event()

    def on_ack(ack):
        with lock:
            acks.append(ack)
            if len(acks) == 3000:
                done.set()

    try:
        for c in clients:
            c.join(room)
        start = threading.Barrier(len(clients))

        def burst(c):
            start.wait()
            for _ in range(100):
                c.emit("incr", {"room": room, "key": "n", "by": 1}, callback=on_ack)

        threads = [threading.Thread(target=burst, args=(c,)) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert done.wait(120), f"{len(acks)} of 3000 acks"
        assert all(a["ok"] for a in acks)
        assert sorted(a["value"] for a in acks) == list(range(1, 3001))
        for c in clients:
            c.wait_for(lambda c=c: c.latest(room, "n") == 3000, timeout=30, what="3000")
        for s in cluster.servers:
            assert requests.get(f"{s.url}/api/rooms/{room}").json()["values"]["n"]["value"] \
                == 3000
    finally:
        for c in clients:
            c.disconnect()


def test_op_retried_on_another_instance_applies_once(cluster):
    room = room_name("op")
    a = SyncClient(cluster.servers[0].url, client="mover").connect()
    b = SyncClient(cluster.servers[1].url, client="mover").connect()
    try:
        a.join(room)
        b.join(room)
        first = a.call("incr", {"room": room, "key": "n", "by": 1, "op": "retry-me"})
        again = b.call("incr", {"room": room, "key": "n", "by": 1, "op": "retry-me"})
        assert first == again == {"ok": True, "value": 1, "version": 1}
        assert b.join(room)["values"]["n"]["value"] == 1
    finally:
        a.disconnect()
        b.disconnect()


def test_presence_counts_distinct_clients_across_instances(cluster):
    room = room_name("presence")
    a = SyncClient(cluster.servers[0].url, client="p-one").connect()
    b = SyncClient(cluster.servers[1].url, client="p-two").connect()
    b2 = SyncClient(cluster.servers[2].url, client="p-two").connect()  # same client elsewhere
    try:
        a.join(room)
        b.join(room)
        assert b2.join(room)["members"] == 2
        a.wait_for(lambda: a.received("presence") and a.received("presence")[-1]["members"] == 2,
                   what="presence 2 on instance 0")
        b.disconnect()
        b2.disconnect()
        a.wait_for(lambda: a.received("presence")[-1]["members"] == 1,
                   what="presence back to 1")
    finally:
        for c in (a, b, b2):
            c.disconnect()


def test_outside_script_reaches_clients_on_every_instance(cluster):
    """A write from a program that serves no clients (the CLI over the message queue)."""
    room = room_name("outside")
    clients = [SyncClient(s.url).connect() for s in cluster.servers]
    try:
        for c in clients:
            c.join(room)
        result = subprocess.run(
            [sys.executable, "-m", "app.cli", "--store", cluster.redis.url, "set", room,
             "banner", json.dumps({"text": "from cron"})],
            cwd=ROOT, capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == {"ok": True, "version": 1}
        for c in clients:
            c.wait_for(lambda c=c: c.latest(room, "banner") == {"text": "from cron"},
                       timeout=10, what="the outside write")
    finally:
        for c in clients:
            c.disconnect()


def test_http_write_on_one_instance_reaches_the_others(cluster):
    room = room_name("http")
    clients = [SyncClient(s.url).connect() for s in cluster.servers]
    try:
        for c in clients:
            c.join(room)
        health = requests.get(cluster.servers[0].url + "/healthz").json()
        assert health["message_queue"] == cluster.redis.url and health["ok"]
        reply = requests.put(f"{cluster.servers[0].url}/api/rooms/{room}/values/k",
                             json={"value": "via http"},
                             headers={"Authorization": f"Bearer {TOKEN}"})
        assert reply.json() == {"ok": True, "version": 1}
        for c in clients:
            c.wait_for(lambda c=c: c.latest(room, "k") == "via http", what="the HTTP write")
    finally:
        for c in clients:
            c.disconnect()


def test_event_stream_on_one_instance_follows_writes_on_another(cluster):
    """The reader is on an instance where the room has no Socket.IO member: its batches come
    from the writes other instances announce on the queue."""
    room = room_name("events")
    put = f"{cluster.servers[0].url}/api/rooms/{room}/values/k"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert requests.put(put, json={"value": 0}, headers=auth).json()["ok"]
    readers = [EventReader(cluster.servers[2].url, room), EventReader(cluster.nginx.url, room)]
    writer = SyncClient(cluster.servers[1].url).connect()
    try:
        for reader in readers:
            assert reader.next().kind == "snapshot"
        writer.join(room)
        for n in range(1, 4):
            assert writer.call("set", {"room": room, "key": "k", "value": n})["ok"]
        for reader in readers:
            seen = []
            while not seen or seen[-1] != 3:
                event = reader.next()
                assert event.kind == "changes"
                seen += [c["value"] for c in event.data["changes"]]
            assert seen == sorted(seen)
    finally:
        writer.disconnect()
        for reader in readers:
            reader.close()
