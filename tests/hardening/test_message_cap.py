"""Websocket messages over CHORUS_MAX_MESSAGE (64 KiB) are refused from their frame headers with
close code 1009 (chorus_worker.py), without slowing anyone else down; a message within the cap
reaches the app, which answers an oversize value with `too_large`."""

from __future__ import annotations

import os
import struct
import threading
import time
import uuid

import pytest
import websocket

from tests.hardening.checks import assert_worker_lived, healthy
from tests.hardening.probe import Probe
from tests.hardening.rawsio import CLOSE_TOO_BIG, RawSocketIO
from tests.support import Server, SyncClient

CAP = 65536
CUT = (ConnectionError, BrokenPipeError, websocket.WebSocketConnectionClosedException)


@pytest.fixture(scope="module")
def server(workdir):
    srv = Server(workdir, {"CHORUS_STORE": "memory://"}).start()
    yield srv
    srv.stop()


@pytest.fixture
def raw(server):
    made: list[RawSocketIO] = []

    def make(**options) -> RawSocketIO:
        client = RawSocketIO(server.url, **options)
        client.connect_namespace()
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def set_packet(ack_id: int, room: str, size: int) -> str:
    """A `set` EVENT packet of exactly ``size`` bytes (its value pads it)."""
    head = f'42/sync,{ack_id}["set",{{"room":"{room}","key":"big","value":"'
    tail = '"}]'
    return head + "x" * (size - len(head) - len(tail)) + tail


def frame_header(length: int, opcode: int = 0x1, fin: bool = True) -> bytes:
    """A masked client frame header announcing ``length`` payload bytes (RFC 6455 5.2)."""
    first = (0x80 if fin else 0) | opcode
    if length < 126:
        head = struct.pack("!BB", first, 0x80 | length)
    elif length < 1 << 16:
        head = struct.pack("!BBH", first, 0x80 | 126, length)
    else:
        head = struct.pack("!BBQ", first, 0x80 | 127, length)
    return head + os.urandom(4)


def refusals(server) -> int:
    return server.log().count(f"websocket closed with {CLOSE_TOO_BIG}")


def test_message_of_exactly_the_cap_is_read_and_answered(raw):
    room = "cap-" + uuid.uuid4().hex[:8]
    client = raw()
    assert client.call("join", {"room": room})["ok"]
    packet = set_packet(client.next_id, room, CAP)
    assert len(packet.encode()) == CAP
    client.next_id += 1
    client.send_text(packet)
    ack = client.ack(client.next_id - 1)
    assert ack["ok"] is False and ack["error"]["code"] == "too_large", ack
    # the connection stays usable, and joined
    assert client.call("set", {"room": room, "key": "small", "value": 1})["ok"]


def test_just_under_the_cap_with_an_oversize_value_gets_too_large(raw):
    room = "under-" + uuid.uuid4().hex[:8]
    client = raw()
    assert client.call("join", {"room": room})["ok"]
    ack = client.call("set", {"room": room, "key": "big", "value": "é" * 30_000})  # 60 KB
    assert ack["ok"] is False and ack["error"]["code"] == "too_large", ack
    assert client.call("set", {"room": room, "key": "big", "value": "fits"})["ok"]
    assert client.call("join", {"room": room})["values"]["big"]["value"] == "fits"


def test_header_announcing_one_byte_over_is_refused_before_the_payload(server, raw):
    """Only the header is sent: the answer cannot have waited for (or read) the payload."""
    client = raw()
    before = refusals(server)
    client.ws.sock.sendall(frame_header(CAP + 1) + b"4" * 100)
    started = time.monotonic()
    assert client.wait_close(timeout=5) == CLOSE_TOO_BIG
    assert time.monotonic() - started < 1.0
    assert refusals(server) == before + 1


def test_header_announcing_20_mib_is_refused_at_once(raw):
    client = raw()
    client.ws.sock.sendall(frame_header(20 << 20) + os.urandom(1024))
    started = time.monotonic()
    assert client.wait_close(timeout=5) == CLOSE_TOO_BIG
    assert time.monotonic() - started < 1.0


def test_fragments_summing_over_the_cap_are_refused(server, raw):
    """A text frame and continuation frames of 16,000 bytes each: every one is small, their sum
    (96,000) is over the cap. The fifth header takes the sum past it: the message is refused
    with 1009 there, though no single frame was large."""
    room = "frag-" + uuid.uuid4().hex[:8]
    client = raw()
    assert client.call("join", {"room": room})["ok"]
    before = refusals(server)
    part = "4" * 16_000
    frames = [websocket.ABNF.create_frame(part, websocket.ABNF.OPCODE_TEXT, fin=0)]
    frames += [websocket.ABNF.create_frame(part, websocket.ABNF.OPCODE_CONT, fin=0)
               for _ in range(4)]
    frames.append(websocket.ABNF.create_frame(part, websocket.ABNF.OPCODE_CONT, fin=1))
    try:
        for frame in frames:
            client.ws.send_frame(frame)
    except CUT:
        pass  # the server may close while the last frames are still going out
    assert client.wait_close(timeout=5) == CLOSE_TOO_BIG
    assert refusals(server) == before + 1


def test_fragments_refused_from_the_header_that_crosses_the_cap(server, raw):
    """The same, with the fifth frame's header sent alone: the refusal needs no payload."""
    room = "frag-head-" + uuid.uuid4().hex[:8]
    client = raw()
    assert client.call("join", {"room": room})["ok"]
    part = 16_000
    client.ws.send_frame(websocket.ABNF.create_frame("4" * part, websocket.ABNF.OPCODE_TEXT,
                                                     fin=0))
    for _ in range(3):  # 64,000 bytes so far: within the cap
        client.ws.send_frame(websocket.ABNF.create_frame("4" * part,
                                                         websocket.ABNF.OPCODE_CONT, fin=0))
    client.ws.sock.sendall(frame_header(part, opcode=0x0, fin=False))  # 80,000 announced
    assert client.wait_close(timeout=5) == CLOSE_TOO_BIG


def test_fragmented_message_within_the_cap_is_delivered(raw):
    """The same fragments, summing to under the cap, make one event that is answered."""
    room = "frag-ok-" + uuid.uuid4().hex[:8]
    client = raw()
    assert client.call("join", {"room": room})["ok"]
    text = f'42/sync,{client.next_id}["set",{{"room":"{room}","key":"f","value":"' + \
        "y" * 3000 + '"}]'
    client.next_id += 1
    pieces = [text[i:i + 500] for i in range(0, len(text), 500)]
    opcode = websocket.ABNF.OPCODE_TEXT
    for i, piece in enumerate(pieces):
        client.ws.send_frame(websocket.ABNF.create_frame(piece, opcode,
                                                         fin=int(i == len(pieces) - 1)))
        opcode = websocket.ABNF.OPCODE_CONT
    assert client.ack(client.next_id - 1)["ok"]


def test_20_mib_frame_is_cut_off_while_others_stay_snappy(server, raw):
    """One client sends a single 20 MiB text frame. It is cut off (1009, or a reset while it is
    still sending); a well-behaved client in the same room, timing a `set` round trip every
    20 ms from its own process, sees every one under 200 ms before, during and after."""
    room = "snappy-" + uuid.uuid4().hex[:8]
    probe = Probe(server.url, room).start()
    try:
        before = time.monotonic()
        probe.wait_round_trips(10, after=before)
        attacker = raw()
        assert attacker.call("join", {"room": room})["ok"]
        refused_before = refusals(server)
        body = "42/sync," + '["set",{"room":"' + room + '","key":"k","value":"' + \
            "z" * (20 << 20) + '"}]'
        outcome: dict[str, object] = {}

        def attack() -> None:
            try:
                attacker.ws.send(body)
                outcome["close"] = attacker.wait_close(timeout=10)
            except CUT as exc:  # the server closed while the frame was still going out
                outcome["cut"] = type(exc).__name__

        during = time.monotonic()
        sender = threading.Thread(target=attack)
        sender.start()
        # the probe keeps going while the attack is under way
        probe.wait_round_trips(5, after=during)
        sender.join(30)
        assert not sender.is_alive(), "the 20 MiB frame was neither refused nor cut"
        after = time.monotonic()
        assert outcome.get("close") == CLOSE_TOO_BIG or "cut" in outcome, outcome
        probe.wait_round_trips(15, after=after)
    finally:
        probe.stop()
    probe.assert_snappy(0, during, least=10, what="before")
    probe.assert_snappy(during, after, least=5, what="during")
    probe.assert_snappy(after, float("inf"), least=15, what="after")
    assert refusals(server) == refused_before + 1, server.log()[-2000:]
    # the server is still fine: healthy, the same worker, and a new client works in the room
    assert healthy(server.url)
    assert_worker_lived(server)
    fresh = SyncClient(server.url).connect()
    try:
        assert fresh.join(room)["values"]["probe"]["value"] >= 30
        assert fresh.call("set", {"room": room, "key": "after", "value": True})["ok"]
    finally:
        fresh.disconnect()
