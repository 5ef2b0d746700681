"""One connection cannot keep the server to itself: while it floods, everyone else's round trips
stay short. A client that writes thousands of small events at once (well within every size cap;
the per-connection rate limit refuses most of them, cheaply) must not make a well-behaved client
in another room wait for all of them to be handled first."""

from __future__ import annotations

import threading
import time

import pytest
import websocket

from tests.hardening.checks import ack_problem, assert_worker_lived, healthy
from tests.hardening.probe import Probe
from tests.hardening.rawsio import RawSocketIO
from tests.support import Server

EVENTS = 20_000  # about 600 KB of frames, one event each


@pytest.fixture(scope="module")
def server(workdir):
    srv = Server(workdir, {"CHORUS_STORE": "memory://"}).start()  # default rate limit
    yield srv
    srv.stop()


def test_a_flooding_connection_does_not_stall_the_others(server):
    probe = Probe(server.url, "bystander", interval=0.01).start()
    flooder = RawSocketIO(server.url)
    flooder.connect_namespace()
    frames = b"".join(
        websocket.ABNF.create_frame(f'42/sync,{i}["ping",{{"n":{i}}}]',
                                    websocket.ABNF.OPCODE_TEXT).format()
        for i in range(1, EVENTS + 1))
    acks: list = []
    reading = threading.Thread(target=lambda: acks.append(flooder.ack(EVENTS, timeout=60)))
    try:
        start = time.monotonic()
        probe.wait_round_trips(10, after=start)
        flooding = time.monotonic()
        reading.start()  # the flooder reads its acks (it is not a slow reader), in order
        flooder.ws.sock.sendall(frames)
        reading.join(60)
        done = time.monotonic()
        probe.wait_round_trips(10, after=done)
    finally:
        probe.stop()
        flooder.close()
    assert acks and ack_problem(acks[0]) is None, acks
    # the bystander's round trips, every 10 ms, none of them waiting for the flood to end
    probe.assert_snappy(start, flooding, least=10, what="before the flood")
    probe.assert_snappy(flooding, done, least=1,
                        what=f"during a flood of {EVENTS} events ({done - flooding:.2f} s)")
    probe.assert_snappy(done, float("inf"), least=10, what="after the flood")
    assert healthy(server.url)
    assert_worker_lived(server)
