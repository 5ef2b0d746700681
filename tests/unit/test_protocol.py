"""The payload rules of the /sync contract, as plain function calls on app/sync/payloads.py and
the value rules of app/state/values.py."""

from __future__ import annotations

import json
import math

import pytest

from app.state.base import Write
from app.state.errors import ChorusError
from app.state.values import encode_value
from app.sync.payloads import (
    Join,
    parse_auth,
    parse_by,
    parse_join,
    parse_leave,
    parse_write,
)

BAD, BIG = "bad_request", "too_large"


def _set(**fields):
    return {"room": "r", "key": "k", "value": 1, **fields}


def _incr(**fields):
    return {"room": "r", "key": "k", "by": 1, **fields}


def _string_of_json_bytes(size: int, char: str = "a") -> str:
    """A string whose compact JSON encoding (quotes included) is ``size`` UTF-8 bytes."""
    width = len(char.encode("utf-8"))
    body = size - 2
    return char * (body // width) + "a" * (body % width)


# (label, callable, expected code, text the message must contain)
REFUSALS = [
    # payload not an object
    ("join list", lambda: parse_join(["r"]), BAD, "object"),
    ("join string", lambda: parse_join("r"), BAD, "object"),
    ("join number", lambda: parse_join(5), BAD, "object"),
    ("join null", lambda: parse_join(None), BAD, "object"),
    ("leave list", lambda: parse_leave([]), BAD, "object"),
    ("leave null", lambda: parse_leave(None), BAD, "object"),
    ("set list", lambda: parse_write("set", [1], "c"), BAD, "object"),
    ("incr string", lambda: parse_write("incr", "x", "c"), BAD, "object"),
    ("delete number", lambda: parse_write("delete", 3.5, "c"), BAD, "object"),
    ("delete null", lambda: parse_write("delete", None, "c"), BAD, "object"),
    # missing fields
    ("join no room", lambda: parse_join({}), BAD, "room"),
    ("leave no room", lambda: parse_leave({"key": "k"}), BAD, "room"),
    ("set no room", lambda: parse_write("set", {"key": "k", "value": 1}, "c"), BAD, "room"),
    ("set no key", lambda: parse_write("set", {"room": "r", "value": 1}, "c"), BAD, "key"),
    ("delete no key", lambda: parse_write("delete", {"room": "r"}, "c"), BAD, "key"),
    ("set no value", lambda: parse_write("set", {"room": "r", "key": "k"}, "c"), BAD, "value"),
    # wrong types
    ("room number", lambda: parse_join({"room": 5}), BAD, "room"),
    ("room list", lambda: parse_leave({"room": ["r"]}), BAD, "room"),
    ("room bool", lambda: parse_join({"room": True}), BAD, "room"),
    ("key number", lambda: parse_write("set", _set(key=1), "c"), BAD, "key"),
    ("key object", lambda: parse_write("delete", {"room": "r", "key": {}}, "c"), BAD, "key"),
    # bad room names
    ("room empty", lambda: parse_join({"room": ""}), BAD, "room"),
    ("room 65 chars", lambda: parse_join({"room": "a" * 65}), BAD, "room"),
    ("room space", lambda: parse_join({"room": "a b"}), BAD, "room"),
    ("room slash", lambda: parse_join({"room": "a/b"}), BAD, "room"),
    ("room unicode", lambda: parse_join({"room": "caf\u00e9"}), BAD, "room"),
    ("room unicode digit", lambda: parse_join({"room": "\u0663"}), BAD, "room"),
    ("room newline", lambda: parse_join({"room": "r\n"}), BAD, "room"),
    ("room dot", lambda: parse_join({"room": "a.b"}), BAD, "room"),
    ("leave room dot", lambda: parse_leave({"room": "a.b"}), BAD, "room"),
    ("write room dot", lambda: parse_write("set", _set(room="a.b"), "c"), BAD, "room"),
    # bad key names
    ("key empty", lambda: parse_write("set", _set(key=""), "c"), BAD, "key"),
    ("key 65 chars", lambda: parse_write("set", _set(key="k" * 65), "c"), BAD, "key"),
    ("key space", lambda: parse_write("set", _set(key="a b"), "c"), BAD, "key"),
    ("key slash", lambda: parse_write("incr", _incr(key="a/b"), "c"), BAD, "key"),
    ("key unicode", lambda: parse_write("delete", {"room": "r", "key": "\u00e9"}, "c"), BAD,
     "key"),
    # op
    ("op empty", lambda: parse_write("set", _set(op=""), "c"), BAD, "op"),
    ("op 65 chars", lambda: parse_write("set", _set(op="o" * 65), "c"), BAD, "op"),
    ("op dot", lambda: parse_write("incr", _incr(op="a.b"), "c"), BAD, "op"),
    ("op space", lambda: parse_write("delete", {"room": "r", "key": "k", "op": "a b"}, "c"),
     BAD, "op"),
    ("op number", lambda: parse_write("set", _set(op=7), "c"), BAD, "op"),
    ("op bool", lambda: parse_write("set", _set(op=True), "c"), BAD, "op"),
    # expect
    ("expect -1", lambda: parse_write("set", _set(expect=-1), "c"), BAD, "expect"),
    ("expect 1.5", lambda: parse_write("set", _set(expect=1.5), "c"), BAD, "expect"),
    ("expect True", lambda: parse_write("set", _set(expect=True), "c"), BAD, "expect"),
    ("expect '1'", lambda: parse_write("set", _set(expect="1"), "c"), BAD, "expect"),
    # since / epoch
    ("since -1", lambda: parse_join({"room": "r", "since": -1}), BAD, "since"),
    ("since True", lambda: parse_join({"room": "r", "since": True}), BAD, "since"),
    ("since False", lambda: parse_join({"room": "r", "since": False}), BAD, "since"),
    ("since '3'", lambda: parse_join({"room": "r", "since": "3"}), BAD, "since"),
    ("since 1.5", lambda: parse_join({"room": "r", "since": 1.5}), BAD, "since"),
    ("epoch number", lambda: parse_join({"room": "r", "epoch": 5}), BAD, "epoch"),
    ("epoch 129 chars", lambda: parse_join({"room": "r", "epoch": "e" * 129}), BAD, "epoch"),
    # by
    ("by NaN", lambda: parse_by(math.nan), BAD, "by"),
    ("by inf", lambda: parse_by(math.inf), BAD, "by"),
    ("by -inf", lambda: parse_by(-math.inf), BAD, "by"),
    ("by 1e10", lambda: parse_by(1e10), BAD, "by"),
    ("by -1e9-1", lambda: parse_by(-(10**9) - 1), BAD, "by"),
    ("by 1e9+0.5", lambda: parse_by(1e9 + 0.5), BAD, "by"),
    ("by True", lambda: parse_by(True), BAD, "by"),
    ("by False", lambda: parse_by(False), BAD, "by"),
    ("by '1'", lambda: parse_by("1"), BAD, "by"),
    ("by None", lambda: parse_by(None), BAD, "by"),
    ("by list", lambda: parse_by([1]), BAD, "by"),
    ("incr no by", lambda: parse_write("incr", {"room": "r", "key": "k"}, "c"), BAD, "by"),
    ("incr by True", lambda: parse_write("incr", _incr(by=True), "c"), BAD, "by"),
    ("incr by NaN", lambda: parse_write("incr", _incr(by=math.nan), "c"), BAD, "by"),
    # values
    ("value NaN", lambda: encode_value(math.nan), BAD, "NaN"),
    ("value inf", lambda: encode_value(math.inf), BAD, "NaN"),
    ("value -inf", lambda: encode_value(-math.inf), BAD, "NaN"),
    ("value nested NaN", lambda: parse_write("set", _set(value={"a": [1, math.nan]}), "c"),
     BAD, "NaN"),
    ("value 4097 bytes", lambda: encode_value(_string_of_json_bytes(4097)), BIG, "4096"),
    ("value 4097 bytes, 2-byte chars",
     lambda: encode_value(_string_of_json_bytes(4097, "\u00e9")), BIG, "4096"),
    ("value 4098 bytes in 2050 chars", lambda: encode_value("\u00e9" * 2048), BIG, "4096"),
    ("value 4097 bytes, 4-byte chars",
     lambda: encode_value(_string_of_json_bytes(4097, "\U0001f600")), BIG, "4096"),
    ("value escapes count", lambda: encode_value("\n" * 2048), BIG, "4096"),
    ("set value 4097 bytes", lambda: parse_write("set", _set(value={"k": "a" * 4089}), "c"),
     BIG, "4096"),
    # kind
    ("unknown write", lambda: parse_write("append", _set(), "c"), BAD, "append"),
    # auth
    ("auth string", lambda: parse_auth("me"), BAD, "auth"),
    ("auth list", lambda: parse_auth([]), BAD, "auth"),
    ("auth number", lambda: parse_auth(1), BAD, "auth"),
    ("auth client empty", lambda: parse_auth({"client": ""}), BAD, "client"),
    ("auth client space", lambda: parse_auth({"client": "a b"}), BAD, "client"),
    ("auth client dot", lambda: parse_auth({"client": "a.b"}), BAD, "client"),
    ("auth client 65", lambda: parse_auth({"client": "c" * 65}), BAD, "client"),
    ("auth client number", lambda: parse_auth({"client": 12}), BAD, "client"),
    ("auth name 41", lambda: parse_auth({"name": "n" * 41}), BAD, "name"),
    ("auth name number", lambda: parse_auth({"name": 5}), BAD, "name"),
]


@pytest.mark.parametrize("call,code,needle", [case[1:] for case in REFUSALS],
                         ids=[case[0] for case in REFUSALS])
def test_bad_input_is_refused_with_its_code(call, code, needle):
    """Every malformed payload raises ChorusError with the contract code and names the problem."""
    with pytest.raises(ChorusError) as refused:
        call()
    assert refused.value.code == code
    assert needle in refused.value.message
    assert refused.value.ack()["error"] == {"code": code, "message": refused.value.message}


def test_value_nested_too_deeply_is_too_large():
    """A value too deep to encode is a too_large refusal, not a RecursionError."""
    value: list = []
    for _ in range(100_000):
        value = [value]
    with pytest.raises(ChorusError) as refused:
        encode_value(value)
    assert refused.value.code == BIG


@pytest.mark.parametrize("size,char", [(4096, "a"), (4096, "\u00e9"), (4096, "\U0001f600"),
                                       (2, "a"), (4095, "\u00e9")])
def test_value_up_to_4096_utf8_bytes_is_accepted(size, char):
    """A value of at most 4096 bytes as compact UTF-8 JSON is accepted, multi-byte or not."""
    value = _string_of_json_bytes(size, char)
    text = encode_value(value)
    assert len(text.encode("utf-8")) == size
    assert json.loads(text) == value


def test_escaped_characters_count_as_their_json_text():
    """Size is measured on the JSON text: 2047 newlines are 4096 bytes once escaped."""
    assert encode_value("\n" * 2047) == '"' + "\\n" * 2047 + '"'


def test_encode_value_is_compact_and_keeps_utf8():
    """The stored form is compact JSON with non-ASCII kept as characters, not \\u escapes."""
    assert encode_value({"a": [1, 2.5, None, True], "b": "\u00e9"}) == \
        '{"a":[1,2.5,null,true],"b":"\u00e9"}'


def test_set_record_carries_the_checked_value():
    """parse_write('set') returns a Write with value, its compact JSON, expect and op."""
    write = parse_write("set", {"room": "r-1", "key": "a.b_c-D", "value": {"x": [1]},
                                "expect": 0, "op": "op_1"}, "client-9")
    assert write == Write("set", "r-1", "a.b_c-D", "client-9", "op_1", value={"x": [1]},
                          value_json='{"x":[1]}', expect=0)


def test_set_accepts_null_value():
    """A present null value is a value (only a missing one is refused)."""
    write = parse_write("set", {"room": "r", "key": "k", "value": None}, "c")
    assert write.value is None and write.value_json == "null"


@pytest.mark.parametrize("key", ["a.b", ".", "a" * 64, "A-Z_0.9"])
def test_key_allows_dots_and_64_chars(key):
    """Keys are 1-64 of [A-Za-z0-9_.-]: dots are allowed in keys."""
    assert parse_write("delete", {"room": "r", "key": key}, "c").key == key


@pytest.mark.parametrize("room", ["r", "a" * 64, "A-z_09"])
def test_room_names_accepted(room):
    """Rooms are 1-64 of [A-Za-z0-9_-]."""
    assert parse_join({"room": room}) == Join(room)
    assert parse_leave({"room": room}) == room


def test_join_with_since_and_epoch():
    """since 0 and an epoch of 128 characters are accepted and returned."""
    assert parse_join({"room": "r", "since": 0, "epoch": "e" * 128}) == Join("r", 0, "e" * 128)
    assert parse_join({"room": "r", "since": 12, "epoch": None}) == Join("r", 12, None)


@pytest.mark.parametrize("by", [10**9, -(10**9), 1e9, -1e9, 0.5, 0, -3, 0.0])
def test_by_within_a_billion_is_accepted(by):
    """by is any finite non-boolean number within +-1e9, returned unchanged."""
    assert parse_by(by) == by
    assert parse_write("incr", _incr(by=by), "c").by == by


@pytest.mark.parametrize("expect", [0, 1, 10**12])
def test_expect_accepts_non_negative_integers(expect):
    """expect is an integer >= 0."""
    assert parse_write("set", _set(expect=expect), "c").expect == expect


def test_incr_and_delete_records():
    """incr and delete records carry the kind, client and op; delete has no value."""
    assert parse_write("incr", _incr(by=2, op="x"), "c") == Write("incr", "r", "k", "c", "x",
                                                                   by=2)
    assert parse_write("delete", {"room": "r", "key": "k"}, "c") == Write("delete", "r", "k", "c")


@pytest.mark.parametrize("auth,expected", [
    (None, (None, None)),
    ({}, (None, None)),
    ({"client": "c" * 64, "name": "n" * 40}, ("c" * 64, "n" * 40)),
    ({"client": "abc_-9", "name": None}, ("abc_-9", None)),
    ({"name": ""}, (None, "")),
])
def test_auth_accepted(auth, expected):
    """auth may be absent or empty; a client id of 64 and a name of 40 characters are fine."""
    assert parse_auth(auth) == expected


def test_huge_integer_by_is_bad_request():
    """An integer by far beyond 1e9 (JSON allows it) is refused as bad_request, not a crash."""
    with pytest.raises(ChorusError) as refused:
        parse_write("incr", _incr(by=10**400), "c")
    assert refused.value.code == BAD


def test_lone_surrogate_value_is_refused_not_a_crash():
    """A lone surrogate string (valid JSON text, not valid Unicode) is refused as bad_request."""
    value = json.loads('"\\ud800"')
    with pytest.raises(ChorusError) as refused:
        encode_value(value)
    assert refused.value.code == BAD
