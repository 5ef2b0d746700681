"""Exactness, polling bursts, coalescing and ordering under many writes at once."""

from __future__ import annotations

import threading
import uuid

import pytest

from tests.support import SyncClient


def room_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_twenty_clients_fifty_incr_each_end_at_exactly_1000(connect):
    """20 clients x 50 incr sent at once: 1,000 on a fresh join and on every client."""
    room = room_name("exact")
    clients = [connect(client=f"c{i}-{uuid.uuid4().hex[:4]}") for i in range(20)]
    for c in clients:
        c.join(room)
    acks: list[dict] = []
    lock = threading.Lock()
    all_acked = threading.Event()

    def on_ack(ack):
        with lock:
            acks.append(ack)
            if len(acks) == 1000:
                all_acked.set()

    start = threading.Barrier(len(clients))

    def burst(c):
        start.wait()
        for _ in range(50):
            c.emit("incr", {"room": room, "key": "n", "by": 1}, callback=on_ack)

    threads = [threading.Thread(target=burst, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all_acked.wait(60), f"only {len(acks)} acks"
    assert all(a["ok"] for a in acks)
    assert sorted(a["value"] for a in acks) == list(range(1, 1001))  # each total seen once
    fresh = connect()
    assert fresh.join(room)["values"]["n"] == {"value": 1000, "version": 1000}
    for c in clients:
        c.wait_for(lambda c=c: c.latest(room, "n") == 1000, timeout=20, what="1000 everywhere")


@pytest.mark.parametrize("count", [100, 1000])
def test_polling_burst_every_event_acknowledged(base_url, count):
    """One polling client sends a burst without waiting: every event gets its ack."""
    room = room_name("burst")
    client = SyncClient(base_url, "polling").connect()
    try:
        client.join(room)
        acks: list[dict] = []
        done = threading.Event()

        def on_ack(ack):
            acks.append(ack)
            if len(acks) == count:
                done.set()

        for i in range(count):
            client.emit("set", {"room": room, "key": f"k{i % 200}", "value": i}, callback=on_ack)
        assert done.wait(60), f"{len(acks)} of {count} acks"
        assert all(a["ok"] for a in acks)
        assert client.join(room)["version"] == count
    finally:
        client.disconnect()


@pytest.mark.chorus_only
def test_coalescing_many_sets_arrive_as_few_batches(connect):
    """200 rapid sets of one key reach a watcher as far fewer batches, ending on the last."""
    room = room_name("coalesce")
    writer, watcher = connect(), connect()
    writer.join(room)
    watcher.join(room)
    done = threading.Event()
    acks = []

    def on_ack(ack):
        acks.append(ack)
        if len(acks) == 200:
            done.set()

    for i in range(200):
        writer.emit("set", {"room": room, "key": "slider", "value": i}, callback=on_ack)
    assert done.wait(30)
    watcher.wait_for(lambda: watcher.latest(room, "slider") == 199, what="the last value")
    batches = [b for b in watcher.received("changes") if b["room"] == room]
    assert len(batches) < 50, f"{len(batches)} batches for 200 sets"
    assert batches[-1]["changes"][-1]["value"] == 199
    assert batches[-1]["version"] == 200


def test_batches_chain_by_from_and_version(connect):
    """Each batch's from is the version of the one before; versions only go up."""
    room = room_name("chain")
    writers = [connect() for _ in range(3)]
    watcher = connect()
    base = watcher.join(room)["version"]
    for w in writers:
        w.join(room)
    done = threading.Event()
    acks = []

    def on_ack(ack):
        acks.append(ack)
        if len(acks) == 300:
            done.set()

    for i in range(100):
        for n, w in enumerate(writers):
            w.emit("set", {"room": room, "key": f"k{(i + n) % 7}", "value": i}, callback=on_ack)
    assert done.wait(30)
    watcher.wait_for(lambda: any(b["version"] == base + 300 for b in
                                 watcher.received("changes")), what="the final batch")
    batches = [b for b in watcher.received("changes") if b["room"] == room]
    held = base
    for batch in batches:
        assert batch["from"] == held, (batch["from"], held)
        assert batch["version"] > batch["from"]
        keys = [c["key"] for c in batch["changes"]]
        assert len(keys) == len(set(keys)), "one entry per key"
        held = batch["version"]
    assert held == base + 300


def test_writes_of_one_connection_apply_in_order(connect):
    """A burst of sets from one connection: the acks' versions follow the send order."""
    room = room_name("order")
    c = connect()
    c.join(room)
    acks = []
    done = threading.Event()

    def on_ack(ack):
        acks.append(ack)
        if len(acks) == 100:
            done.set()

    for i in range(100):
        c.emit("set", {"room": room, "key": "k", "value": i}, callback=on_ack)
    assert done.wait(30)
    assert c.join(room)["values"]["k"] == {"value": 99, "version": 100}
