"""A token bucket per connection: CHORUS_EVENT_BURST events at once, then CHORUS_EVENT_RATE a
second. Past it the ack is `rate_limited` with `retry_after_ms`, nothing is applied, and the
connection stays usable: after waiting that long, the next event is ok. Here with a burst of 100
and a rate of 20/s."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from tests.hardening.checks import ack_problem, assert_worker_lived, retry_after_ms
from tests.hardening.rawpoll import SEPARATOR, RawPolling
from tests.support import Server, SyncClient

RATE = 20
BURST = 100


@pytest.fixture(scope="module")
def server(workdir):
    srv = Server(workdir, {"CHORUS_STORE": "memory://", "CHORUS_EVENT_RATE": str(RATE),
                           "CHORUS_EVENT_BURST": str(BURST)}).start()
    yield srv
    srv.stop()


@pytest.fixture
def clients(server):
    made: list[SyncClient] = []

    def make() -> SyncClient:
        made.append(SyncClient(server.url).connect())
        return made[-1]

    yield make
    for client in made:
        client.disconnect()


def rapid(client: SyncClient, calls: list[tuple[str, dict]], timeout: float = 15) -> list:
    """Emit every call at once (no waiting between them); the acks, in the order sent."""
    acks: list = [None] * len(calls)
    left = [len(calls)]
    done = threading.Event()
    lock = threading.Lock()
    for i, (event, payload) in enumerate(calls):
        def answered(ack, i=i):
            with lock:
                acks[i] = ack
                left[0] -= 1
                if not left[0]:
                    done.set()
        client.emit(event, payload, callback=answered)
    assert done.wait(timeout), f"{left[0]} acks missing"
    return acks


def test_burst_then_rate_limited_then_usable_again(clients):
    room = "rl-" + uuid.uuid4().hex[:8]
    client = clients()
    burst = [("join", {"room": room})] + \
        [("incr", {"room": room, "key": "n", "by": 1}) for _ in range(BURST - 1)]
    started = time.monotonic()
    acks = rapid(client, burst)
    assert [a for a in acks if not a["ok"]] == [], "the burst itself was refused in part"
    more = rapid(client, [("incr", {"room": room, "key": "n", "by": 1}) for _ in range(60)])
    elapsed = time.monotonic() - started
    for ack in more:
        assert ack_problem(ack) is None, ack
        assert ack["ok"] or ack["error"]["code"] == "rate_limited", ack
    limited = [a for a in more if not a["ok"]]
    assert limited, "60 events right after a burst of 100 at 20/s: none refused"
    # no more got through than the bucket allows: the burst plus the rate over the time taken
    allowed = BURST + RATE * elapsed + 1
    assert BURST + len(more) - len(limited) <= allowed, (len(limited), elapsed)
    for ack in limited:
        wait = retry_after_ms(ack)
        assert isinstance(wait, int) and not isinstance(wait, bool) and 0 < wait <= 1000 / RATE
    # refused writes were not applied: the counter holds exactly the accepted ones
    oks = BURST - 1 + len(more) - len(limited)
    time.sleep(retry_after_ms(limited[-1]) / 1000)  # the wait the server asked for, no less
    ack = client.call("incr", {"room": room, "key": "n", "by": 1})
    assert ack["ok"], ack
    assert ack["value"] == oks + 1
    assert client.sio.connected


def test_limit_is_per_connection(clients):
    room = "rl2-" + uuid.uuid4().hex[:8]
    greedy, other = clients(), clients()
    calls = [("join", {"room": room})] + \
        [("set", {"room": room, "key": "g", "value": i}) for i in range(BURST + 40)]
    acks = rapid(greedy, calls)
    assert any(not a["ok"] and a["error"]["code"] == "rate_limited" for a in acks)
    # the other connection has its own full bucket
    acks = rapid(other, [("join", {"room": room})] +
                 [("set", {"room": room, "key": "o", "value": i}) for i in range(BURST - 1)])
    assert all(a["ok"] for a in acks), [a for a in acks if not a["ok"]][:2]


def test_unknown_and_bad_events_count_too(clients):
    """A flood of junk is limited like a flood of writes (cheaply refused, never unlimited)."""
    client = clients()
    acks = rapid(client, [("no-such-event", {"x": i}) for i in range(BURST)] +
                 [("set", "not an object") for _ in range(40)])
    codes = {a["error"]["code"] for a in acks}
    assert "rate_limited" in codes and codes <= {"bad_request", "rate_limited"}, codes


def test_one_polling_post_of_100_packets_is_all_ok(server):
    room = "rlp-" + uuid.uuid4().hex[:8]
    polling = RawPolling(server.url)
    try:
        ids, texts = [], []
        ack_id, text = polling.packet("join", {"room": room})
        ids.append(ack_id)
        texts.append(text)
        for _ in range(BURST - 1):
            ack_id, text = polling.packet("incr", {"room": room, "key": "n", "by": 1})
            ids.append(ack_id)
            texts.append(text)
        assert polling.post(SEPARATOR.join(texts)).text == "ok"
        acks = polling.acks(ids)
        assert all(ack["ok"] for ack in acks.values()), \
            [a for a in acks.values() if not a["ok"]][:3]
        assert acks[ids[-1]]["value"] == BURST - 1
        # the bucket is empty now: the next POST's packets are refused, most of them
        more = []
        texts = []
        for _ in range(30):
            ack_id, text = polling.packet("incr", {"room": room, "key": "n", "by": 1})
            more.append(ack_id)
            texts.append(text)
        assert polling.post(SEPARATOR.join(texts)).text == "ok"
        acks = polling.acks(more)
        assert any(not a["ok"] and a["error"]["code"] == "rate_limited" for a in acks.values())
        assert all(ack_problem(a) is None for a in acks.values())
    finally:
        polling.close()
    assert_worker_lived(server)
