"""Bad input of any shape gets a failure ack with the right code; the connection stays usable."""

from __future__ import annotations

import uuid

import pytest

ROOM = "bad-" + uuid.uuid4().hex[:8]
BIG = "x" * 4095  # with its quotes, 4,097 bytes of JSON: one over the limit

CASES = [
    # (event, payload as sent: a tuple is several arguments, (None,) a null), expected code
    ("join", ("not an object",), "bad_request"),
    ("join", ([1, 2],), "bad_request"),
    ("join", (None,), "bad_request"),
    ("join", (42,), "bad_request"),
    ("join", None, "bad_request"),  # no argument at all
    ("join", ({"room": ROOM}, {"extra": 1}), "bad_request"),  # two arguments
    ("join", ({},), "bad_request"),
    ("join", ({"room": 7},), "bad_request"),
    ("join", ({"room": ""},), "bad_request"),
    ("join", ({"room": "has space"},), "bad_request"),
    ("join", ({"room": "dots.are.keys.only"},), "bad_request"),
    ("join", ({"room": "r" * 65},), "bad_request"),
    ("join", ({"room": "ümlaut"},), "bad_request"),
    ("join", ({"room": ROOM, "since": -1},), "bad_request"),
    ("join", ({"room": ROOM, "since": "3"},), "bad_request"),
    ("join", ({"room": ROOM, "since": True},), "bad_request"),
    ("join", ({"room": ROOM, "epoch": 5},), "bad_request"),
    ("leave", ({"room": None},), "bad_request"),
    ("set", ({"room": ROOM, "key": "k"},), "bad_request"),  # no value
    ("set", ({"room": ROOM, "value": 1},), "bad_request"),  # no key
    ("set", ({"room": ROOM, "key": "", "value": 1},), "bad_request"),
    ("set", ({"room": ROOM, "key": "a/b", "value": 1},), "bad_request"),
    ("set", ({"room": ROOM, "key": "k" * 65, "value": 1},), "bad_request"),
    ("set", ({"room": ROOM, "key": ["k"], "value": 1},), "bad_request"),
    ("set", ({"room": ROOM, "key": "k", "value": BIG},), "too_large"),
    # 2,050 characters but 4,098 bytes: the limit counts UTF-8 bytes
    ("set", ({"room": ROOM, "key": "k", "value": "é" * 2048},), "too_large"),
    ("set", ({"room": ROOM, "key": "k", "value": 1, "expect": -1},), "bad_request"),
    ("set", ({"room": ROOM, "key": "k", "value": 1, "expect": "0"},), "bad_request"),
    ("set", ({"room": ROOM, "key": "k", "value": 1, "op": "bad op"},), "bad_request"),
    ("set", ({"room": ROOM, "key": "k", "value": 1, "op": 12},), "bad_request"),
    ("incr", ({"room": ROOM, "key": "n"},), "bad_request"),
    ("incr", ({"room": ROOM, "key": "n", "by": 1e10},), "bad_request"),
    ("incr", ({"room": ROOM, "key": "n", "by": -1e10},), "bad_request"),
    ("incr", ({"room": ROOM, "key": "n", "by": True},), "bad_request"),
    ("incr", ({"room": ROOM, "key": "n", "by": "1"},), "bad_request"),
    ("incr", ({"room": ROOM, "key": "n", "by": None},), "bad_request"),
    ("incr", ({"room": ROOM, "key": "n", "by": [1]},), "bad_request"),
    ("delete", ({"room": ROOM},), "bad_request"),
    ("delete", ("k",), "bad_request"),
]


@pytest.fixture
def joined(connect):
    client = connect()
    client.join(ROOM)
    return client


@pytest.mark.parametrize("event,payload,code", CASES,
                         ids=[f"{e}-{i}" for i, (e, _, _) in enumerate(CASES)])
def test_bad_input_is_refused_with_code(joined, event, payload, code):
    ack = joined.call(event, payload)
    assert ack["ok"] is False, ack
    assert ack["error"]["code"] == code, ack
    assert isinstance(ack["error"]["message"], str) and ack["error"]["message"]
    # the connection is still usable, and still joined
    assert joined.call("set", {"room": ROOM, "key": "alive", "value": event})["ok"]


def test_value_of_exactly_4_kib_is_accepted(joined):
    assert joined.call("set", {"room": ROOM, "key": "big", "value": "x" * 4094})["ok"]


def test_nan_as_by_is_bad_request(joined):
    """NaN is not JSON, but Python's decoder reads it: the server still refuses it."""
    sio = joined.sio
    ack = {}
    done = __import__("threading").Event()

    def answer(*args):
        ack["value"] = args[0]
        done.set()

    # python-socketio serialises NaN as the bare token NaN, as a sloppy client would.
    sio.emit("incr", {"room": ROOM, "key": "n", "by": float("nan")}, namespace="/sync",
             callback=answer)
    assert done.wait(10)
    assert ack["value"]["error"]["code"] == "bad_request"
    sio.emit("set", {"room": ROOM, "key": "n", "value": float("inf")}, namespace="/sync",
             callback=answer)
    assert joined.call("set", {"room": ROOM, "key": "alive", "value": 1})["ok"]


def test_257th_key_is_too_large(connect):
    room = "keys-" + uuid.uuid4().hex[:8]
    client = connect()
    client.join(room)
    for i in range(256):
        client.emit("set", {"room": room, "key": f"k{i}", "value": i})
    assert client.call("set", {"room": room, "key": "k0", "value": "rewrite"})["ok"]
    ack = client.call("set", {"room": room, "key": "k256", "value": 1})
    assert ack["error"]["code"] == "too_large"
    assert client.call("incr", {"room": room, "key": "k257", "by": 1})["error"]["code"] == \
        "too_large"
    assert client.call("delete", {"room": room, "key": "k1"})["ok"]
    assert client.call("set", {"room": room, "key": "k256", "value": 1})["ok"]
