"""Batching costs a quiet room nothing: with a one-second CHORUS_TICK and CHORUS_POLL_INTERVAL,
a lone change reaches the other members at once (the leading edge), while a burst still goes
out as a few batches at the end of each tick (the trailing edge), in order, ending on its last
value. The long tick makes the difference between the two far larger than any noise."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.hardening.rawpoll import RawPolling
from tests.support import Server, SyncClient

TICK = 1.0
BURST = 200


@pytest.fixture(scope="module")
def slow_tick_server(workdir):
    srv = Server(workdir, {"CHORUS_STORE": "memory://", "CHORUS_TICK": str(TICK),
                           "CHORUS_POLL_INTERVAL": str(TICK),
                           "CHORUS_PRESENCE_INTERVAL": str(TICK)}).start()
    yield srv
    srv.stop()


@pytest.fixture
def clients(slow_tick_server):
    made: list[SyncClient] = []

    def make(transport: str = "websocket") -> SyncClient:
        made.append(SyncClient(slow_tick_server.url, transport).connect())
        return made[-1]

    yield make
    for client in made:
        client.disconnect()


def room_name() -> str:
    return "edge-" + uuid.uuid4().hex[:8]


def wait_idle(seconds: float = TICK * 2.5) -> None:
    """Let the room go quiet: the joins' presence announcement (its trailing edge a tick after
    the second join) and the polling answer that carried it must both be over a tick old. The
    one sleep here is the condition under test, not a wait for an event."""
    time.sleep(seconds)


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_a_lone_change_in_a_quiet_room_goes_out_at_once(clients, transport):
    room = room_name()
    writer, reader = clients("websocket"), clients(transport)
    writer.join(room)
    reader.join(room)
    wait_idle()
    started = time.monotonic()
    assert writer.call("set", {"room": room, "key": "slider", "value": 42})["ok"]
    reader.wait_for(lambda: reader.latest(room, "slider") == 42, timeout=5, what="the change")
    took = time.monotonic() - started
    assert took < TICK / 2, f"a lone change took {took * 1000:.0f} ms: it waited for the tick"


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_a_burst_is_coalesced_in_order_and_ends_on_its_last_value(clients, transport):
    room = room_name()
    writer, reader = clients("websocket"), clients(transport)
    writer.join(room)
    reader.join(room)
    wait_idle()
    for value in range(BURST):
        writer.emit("set", {"room": room, "key": "slider", "value": value})
    assert writer.call("incr", {"room": room, "key": "done", "by": 1})["ok"]
    reader.wait_for(lambda: reader.latest(room, "done") == 1, timeout=TICK * 5,
                    what="the end of the burst")
    batches = [b for b in reader.received("changes") if b["room"] == room]
    assert reader.latest(room, "slider") == BURST - 1
    assert len(batches) <= 5, f"{BURST} changes in {len(batches)} batches"
    for before, after in zip(batches, batches[1:], strict=False):  # the from chain holds
        assert after["from"] == before["version"]
    values = [c["value"] for b in batches for c in b["changes"] if c["key"] == "slider"]
    assert values == sorted(values), "batches went out of order"
    assert all(len({c["key"] for c in b["changes"]}) == len(b["changes"]) for b in batches)


def test_a_busy_polling_client_is_answered_at_most_once_per_interval(slow_tick_server):
    """Polling's own pace: the first answer after a quiet interval at once, then one per
    CHORUS_POLL_INTERVAL while changes keep coming."""
    room = room_name()
    reader = RawPolling(slow_tick_server.url)
    writer = SyncClient(slow_tick_server.url, "websocket").connect()
    try:
        assert reader.call("join", {"room": room})["ok"]
        writer.join(room)
        wait_idle()
        # what the joins queued for it (the presence of two members), taken now, and then
        # a quiet interval since that answer
        assert any('"presence"' in p for p in reader.poll())
        wait_idle(TICK * 1.2)
        arrivals: list[float] = []
        sent_at = time.monotonic()
        writer.emit("set", {"room": room, "key": "n", "value": 0})
        value = 0
        deadline = sent_at + 10
        while len(arrivals) < 3 and time.monotonic() < deadline:
            packets = reader.poll()
            if any(p.startswith('42/sync,["changes"') for p in packets):
                arrivals.append(time.monotonic())
                value += 1  # the next change arrives while the client is still busy
                writer.emit("set", {"room": room, "key": "n", "value": value})
        assert len(arrivals) == 3, "the polling client stopped receiving changes"
        assert arrivals[0] - sent_at < TICK / 2, "the first answer waited for the interval"
        gaps = [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]
        assert min(gaps) >= TICK * 0.8, f"answers {min(gaps) * 1000:.0f} ms apart while busy"
    finally:
        writer.disconnect()
        reader.close()
