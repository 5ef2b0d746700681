"""The websocket reader (chorus_worker.py) follows RFC 6455's framing rules: a frame breaking them
is answered with a close frame whose code says why (1002 protocol error, 1007 invalid UTF-8),
after which the server ends the TCP connection; a valid close code is echoed; a valid fragmented
message, with control frames between its fragments and characters split across them, is read.
And the per-connection byte budget (CHORUS_BYTE_RATE) slows a client flooding large frames down
by reading it later, while another client's acks stay quick."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid

import pytest
import requests

from tests.hardening.rawframes import (
    BINARY,
    CLOSE,
    CONT,
    PING,
    PONG,
    TEXT,
    RawWebSocket,
    close_payload,
    frame,
)
from tests.support import Server

BYTE_RATE = 256 * 1024
BYTE_BURST = 128 * 1024


@pytest.fixture(scope="module")
def server(workdir):
    srv = Server(workdir, {"CHORUS_STORE": "memory://", "CHORUS_BYTE_RATE": str(BYTE_RATE),
                           "CHORUS_BYTE_BURST": str(BYTE_BURST)}).start()
    yield srv
    srv.stop()


@pytest.fixture
def connect(server):
    made: list[RawWebSocket] = []

    def make() -> RawWebSocket:
        client = RawWebSocket(server.url)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def assert_closed_with(client: RawWebSocket, code: int | None) -> None:
    """The server's close frame carries ``code``, and the server then ends the connection."""
    got, reason = client.read_close(timeout=5)
    assert got == code, (got, reason)
    assert client.closed_by_server(timeout=5), "the server kept the TCP connection open"


def join_sync(client: RawWebSocket, room: str) -> None:
    client.send_text("40/sync,")
    client.read_text(lambda t: t.startswith("40/sync,{"))
    client.send_text(f'42/sync,1["join",{{"room":"{room}"}}]')
    assert json.loads(client.read_text(lambda t: t.startswith("43/sync,1["))[9:])[0]["ok"]


# --- RFC 6455 5.1-5.5: frames that are a protocol error (1002) -------------------------------

PROTOCOL_ERRORS = {
    # 5.1: a client MUST mask every frame it sends
    "unmasked text": [frame(TEXT, b"40/sync,", masked=False)],
    "unmasked ping": [frame(PING, b"hello", masked=False)],
    "unmasked close": [frame(CLOSE, close_payload(1000), masked=False)],
    "unmasked continuation": [frame(TEXT, b"40/", fin=False), frame(CONT, b"sync,",
                                                                     masked=False)],
    # 5.2: reserved bits set with no extension negotiated
    "rsv1": [frame(TEXT, b"40/sync,", rsv=4)],
    "rsv2": [frame(TEXT, b"40/sync,", rsv=2)],
    "rsv3": [frame(TEXT, b"40/sync,", rsv=1)],
    "rsv on ping": [frame(PING, b"x", rsv=7)],
    # 5.2: reserved opcodes
    **{f"opcode {op:#x}": [frame(op, b"x")] for op in (3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF)},
    # 5.5: control frames have at most 125 bytes of payload and are never fragmented
    "ping of 126 bytes": [frame(PING, b"p" * 126)],
    "close of 126 bytes": [frame(CLOSE, close_payload(1000, b"r" * 124))],
    "fragmented ping": [frame(PING, b"a", fin=False), frame(CONT, b"b")],
    # 5.4: fragments
    "continuation without a start": [frame(CONT, b"40/sync,")],
    "text inside a fragmented message": [frame(TEXT, b"40/", fin=False), frame(TEXT, b"sync,")],
    "binary inside a fragmented message": [frame(BINARY, b"ab", fin=False),
                                           frame(BINARY, b"cd")],
    # 5.5.1: a close body is empty or starts with a two-byte code
    "close with 1 byte": [frame(CLOSE, b"\x03")],
}


@pytest.mark.parametrize("frames", PROTOCOL_ERRORS.values(), ids=PROTOCOL_ERRORS.keys())
def test_protocol_error_closes_with_1002(connect, frames):
    client = connect()
    client.send(b"".join(frames))
    assert_closed_with(client, 1002)


# RFC 6455 7.4.1 and 7.4.2: codes that are not to be sent in a close frame, or not yet defined
INVALID_CODES = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 1999, 2000, 2999, 5000, 65535]


@pytest.mark.parametrize("code", INVALID_CODES)
def test_invalid_close_code_closes_with_1002(connect, code):
    client = connect()
    client.send(frame(CLOSE, close_payload(code)))
    assert_closed_with(client, 1002)


# --- RFC 6455 8.1: invalid UTF-8 (1007) ------------------------------------------------------

INVALID_UTF8 = {
    "in one text frame": [frame(TEXT, b'42/sync,["set","\xce\xba\xff"]')],
    "a surrogate": [frame(TEXT, b"4\xed\xa0\x80")],
    "an overlong encoding": [frame(TEXT, b"4\xc0\xaf")],
    "past U+10FFFF": [frame(TEXT, b"4\xf4\x90\x80\x80")],
    "across fragments": [frame(TEXT, b"42/sync,\xe2\x82", fin=False), frame(CONT, b"(x")],
    "in a later fragment": [frame(TEXT, b"42/sync,", fin=False), frame(CONT, b"ok", fin=False),
                            frame(CONT, b"\x80")],
    "cut off at the message's end": [frame(TEXT, b"42/sync,\xe2", fin=False),
                                     frame(CONT, b"\x82")],
    "in a close reason": [frame(CLOSE, close_payload(1000, b"bye \xff"))],
}


@pytest.mark.parametrize("frames", INVALID_UTF8.values(), ids=INVALID_UTF8.keys())
def test_invalid_utf8_closes_with_1007(connect, frames):
    client = connect()
    client.send(b"".join(frames))
    assert_closed_with(client, 1007)


# --- RFC 6455 5.5.1 and 7.4: the closing handshake -------------------------------------------

VALID_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000,
               3999, 4000, 4999]


@pytest.mark.parametrize("code", VALID_CODES)
def test_valid_close_code_is_echoed(connect, code):
    client = connect()
    client.send(frame(CLOSE, close_payload(code, "au revoir, é".encode())))
    assert_closed_with(client, code)


def test_empty_close_is_answered_with_a_close(connect):
    """No status code to echo: the answer is a normal closure, empty or 1000."""
    client = connect()
    client.send(frame(CLOSE))
    got, _ = client.read_close(timeout=5)
    assert got in (None, 1000), got
    assert client.closed_by_server(timeout=5)


# --- valid framing still works ---------------------------------------------------------------

def test_fragmented_messages_with_pings_between_are_read(connect):
    """The Socket.IO connect packet in three fragments with a ping between two of them (answered
    with a pong at once, RFC 6455 5.4), then a `set` whose value's characters are cut across
    fragments of three bytes: both arrive whole."""
    room = "frag-" + uuid.uuid4().hex[:8]
    client = connect()
    client.send(frame(TEXT, b"40", fin=False) + frame(PING, b"between") +
                frame(CONT, b"/syn", fin=False) + frame(CONT, b"c,"))
    opcode, payload = client.read_frame()
    assert (opcode, payload) == (PONG, b"between")
    client.read_text(lambda t: t.startswith("40/sync,{"))
    client.send_text(f'42/sync,1["join",{{"room":"{room}"}}]')
    client.read_text(lambda t: t.startswith("43/sync,1["))
    value = "κόσμε € 𝄞 ok"
    body = f'42/sync,2["set",{{"room":"{room}","key":"k","value":"{value}"}}]'.encode()
    pieces = [body[i:i + 3] for i in range(0, len(body), 3)]
    frames = [frame(TEXT if i == 0 else CONT, piece, fin=i == len(pieces) - 1)
              for i, piece in enumerate(pieces)]
    frames.insert(5, frame(PING, b""))
    client.send(b"".join(frames))
    assert json.loads(client.read_text(lambda t: t.startswith("43/sync,2["))[9:])[0]["ok"]
    client.send_text(f'42/sync,3["join",{{"room":"{room}"}}]')
    joined = json.loads(client.read_text(lambda t: t.startswith("43/sync,3["))[9:])[0]
    assert joined["values"]["k"]["value"] == value


def test_binary_message_in_fragments_is_read(connect):
    """A fragmented binary message is not taken for text: the connection stays open (Engine.IO
    treats a binary message outside an attachment as no packet it knows) and answers after."""
    client = connect()
    client.send(frame(BINARY, b"\xff\xfe", fin=False) + frame(CONT, b"\x00\x80"))
    join_sync(client, "bin-" + uuid.uuid4().hex[:8])


# --- the byte budget -------------------------------------------------------------------------

def read_delays(server) -> float:
    text = requests.get(server.url + "/metrics", timeout=5).text
    match = re.search(r"^chorus_websocket_read_delays_total (\S+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


def test_byte_budget_reads_a_flooder_later_while_others_stay_quick(server, connect):
    """A client sends 24 `set` events of 32 KB each as fast as TCP takes them. Past its burst
    (128 KiB) the server reads it at 256 KiB/s: its acks (each `too_large`) are spread over at
    least ~2.5 s, and the reads it delayed are counted. Meanwhile another client's round trips
    are answered, each within a second (on a budget-less server the flood is over in a
    fraction of a second, so the spread fails there)."""
    room = "flood-" + uuid.uuid4().hex[:8]
    flooder, other = connect(), connect()
    join_sync(flooder, room)
    join_sync(other, room)
    delays_before = read_delays(server)
    count, size = 24, 32 * 1024
    acked: list[float] = []
    done = threading.Event()

    def read_acks() -> None:
        try:
            while len(acked) < count:
                text = flooder.read_text(lambda t: t.startswith("43/sync,"), timeout=30)
                if '"too_large"' in text:
                    acked.append(time.monotonic())
        finally:
            done.set()

    reader = threading.Thread(target=read_acks, daemon=True)
    reader.start()
    value = "x" * size
    frames = b"".join(frame(TEXT, f'42/sync,{10 + i}["set",{{"room":"{room}","key":"big",'
                                  f'"value":"{value}"}}]'.encode()) for i in range(count))
    sender = threading.Thread(target=flooder.send, args=(frames,), daemon=True)
    sender.start()
    slowest = 0.0
    for i in range(10):
        started = time.monotonic()
        other.send_text(f'42/sync,{100 + i}["set",{{"room":"{room}","key":"n","value":{i}}}]')
        other.read_text(lambda t, i=i: t.startswith(f"43/sync,{100 + i}["), timeout=5)
        slowest = max(slowest, time.monotonic() - started)
        if done.is_set():
            break
    assert done.wait(30) and len(acked) == count, f"{len(acked)} of {count} flood acks"
    sender.join(5)
    spread = acked[-1] - acked[0]
    ideal = (count * size - BYTE_BURST) / BYTE_RATE
    assert spread >= 0.6 * ideal, f"the flood was read in {spread:.2f} s (budget: {ideal:.2f})"
    assert read_delays(server) > delays_before
    assert slowest < 1.0, f"another client's round trip took {slowest * 1000:.0f} ms"
