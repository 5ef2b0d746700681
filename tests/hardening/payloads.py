"""Hypothesis strategies for the fuzz test: events of random shape for every namespace.

A generated call is ``(namespace, event, args)``: ``args`` is the tuple of arguments sent after
the event name (usually one payload; sometimes none or several). Four kinds are mixed:

* any JSON at all (recursive: null, booleans, integers up to hundreds of digits, floats with NaN
  and the infinities, text of every plane without surrogates, lists, objects) as the payload;
* near-valid payloads for each event: the right field names, each filled with a valid value, a
  value of the wrong type, an over-long string, a huge or negative number, or left out, plus
  unknown fields;
* payloads the event accepts, or changed in one place only (one field wrong or missing, or
  unknown fields added), so that handlers, the store and the broadcasts run too;
* event names that are not the namespace's: reserved names of Socket.IO, Node's EventEmitter
  and JavaScript objects, and random text.
"""

from __future__ import annotations

import json
import random
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as with_seed
from hypothesis import strategies as st

ROOMS = ["fz0", "fz1", "fz2", "fz3"]  # the rooms the fuzzing connections join first
KEYS = [f"k{i}" for i in range(24)]
PROTECTED_KEY = "probe"  # the well-behaved client's key: never written by the fuzz
# Stands for the presenter token of ROOMS[0] (made when the server is up, after generation):
# the sender puts the real token in its place.
TOKEN = "presenter-token-of-fz0"

POLL_KINDS = ["choice", "cloud", "scale", "text", "ranking", "quiz"]

# The namespaces of the app (app/namespaces/*.py) and the events each one takes.
NAMESPACES: dict[str, tuple[str, ...]] = {
    "/sync": ("join", "leave", "set", "incr", "delete"),
    "/poll": ("join", "leave", "open", "answer", "close", "reveal", "next", "moderate",
              "remove_word", "reset_scores", "nickname", "me"),
    "/qa": ("join", "leave", "ask", "upvote", "answered", "hide", "freeze"),
    "/pulse": ("join", "leave", "react", "pace"),
}

RESERVED = ["connect", "disconnect", "connect_error", "disconnecting", "error", "newListener",
            "removeListener", "message", "ping", "pong", "open", "close", "reconnect",
            "__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "on_join",
            "trigger_event", "_answer", "", " ", "join ", "JOIN", "\x00undecodable", "\x00",
            "set\n", "écrire", "🙂"]

# Numbers that sit on an edge somewhere: JSON, doubles, the contract's limits, 64-bit ints.
EDGE_NUMBERS = [0, -0.0, 1, -1, 2**31, -(2**31) - 1, 2**53 - 1, 2**53, 2**53 + 1, -(2**53),
                2**63, 2**64, -(2**64), 10**300, -(10**300), 1e9, -1e9, 1e9 + 1, 1e10,
                1e308, -1e308, 5e-324, 0.1, 0.5, 1.5, float("nan"), float("inf"),
                float("-inf"), 4096, 4097, 65, 64, 256, 257]

text = st.text(max_size=40)  # surrogates excluded by default: they cannot be sent as UTF-8
long_text = st.one_of(st.text(min_size=65, max_size=300),
                      st.integers(min_value=4000, max_value=12000).map(lambda n: "x" * n),
                      st.integers(min_value=1, max_value=3000).map(lambda n: "é" * n))
# (sizes drawn, then built: a strategy holding a 400-digit bound has a 400-digit repr)
edge_numbers = st.sampled_from(range(len(EDGE_NUMBERS))).map(EDGE_NUMBERS.__getitem__)
huge_ints = st.tuples(st.integers(1, 400), st.booleans()).map(
    lambda d: (-1 if d[1] else 1) * (10 ** d[0] - 7))
numbers = st.one_of(st.integers(), huge_ints, st.floats(allow_nan=True, allow_infinity=True),
                    edge_numbers)
scalars = st.one_of(st.none(), st.booleans(), numbers, text)
any_json = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(text, children, max_size=4)),
    max_leaves=10)
wrong = st.one_of(any_json, long_text, edge_numbers)

valid_name = st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True)
valid_key = st.one_of(st.sampled_from(KEYS), st.from_regex(r"[A-Za-z0-9_.-]{1,64}",
                                                           fullmatch=True))
room = st.one_of(st.sampled_from(ROOMS), st.sampled_from(ROOMS), valid_name, wrong)
key = st.one_of(valid_key, wrong).filter(lambda k: k != PROTECTED_KEY)
count = st.one_of(st.integers(min_value=0, max_value=10**6), wrong)
small_value = st.one_of(any_json, st.text(max_size=4094), long_text)
EMOJI = ["👍", "❤️", "😂", "🎉", "👏", "🤔"]


def fields_for(namespace: str, event: str) -> dict[str, st.SearchStrategy]:
    """The fields a payload of ``event`` may carry, each with its values, right and wrong."""
    op = st.one_of(valid_name, wrong)
    if namespace == "/sync":
        return {
            "join": {"room": room, "since": count, "epoch": st.one_of(text, long_text, wrong)},
            "leave": {"room": room},
            "set": {"room": room, "key": key, "value": small_value, "expect": count, "op": op},
            "incr": {"room": room, "key": key, "op": op,
                     "by": st.one_of(numbers, st.integers(-10**9, 10**9), wrong)},
            "delete": {"room": room, "key": key, "op": op},
        }[event]
    poll_id = st.one_of(st.integers(min_value=-2, max_value=12), wrong)
    question_id = st.one_of(st.integers(min_value=-2, max_value=40), valid_name, wrong)
    flag = st.one_of(st.booleans(), wrong)
    common = {"join": {"room": room, "token": st.one_of(st.just(TOKEN), wrong, valid_name),
                       "screen": flag},
              "leave": {"room": room}}
    per_namespace = {
        "/poll": {
            "open": {"room": room, "kind": st.one_of(st.sampled_from(POLL_KINDS), wrong),
                     "question": st.one_of(text, long_text, wrong),
                     "options": st.one_of(st.lists(text, max_size=12), wrong),
                     "correct": st.one_of(st.integers(-1, 9), wrong),
                     "seconds": st.one_of(st.integers(-1, 400), wrong),
                     "hidden": flag},
            "answer": {"room": room, "poll": poll_id,
                       "answer": st.one_of(st.integers(-1, 6), text, long_text, wrong,
                                           st.lists(st.integers(-1, 8), max_size=9))},
            "close": {"room": room, "poll": poll_id},
            "reveal": {"room": room, "poll": poll_id, "revealed": flag},
            "next": {"room": room},
            "moderate": {"room": room, "poll": poll_id, "id": poll_id, "shown": flag},
            "remove_word": {"room": room, "poll": poll_id,
                            "word": st.one_of(text, long_text, wrong)},
            "reset_scores": {"room": room},
            "nickname": {"room": room, "nickname": st.one_of(text, long_text, wrong)},
            "me": {"room": room},
        },
        "/qa": {
            "ask": {"room": room, "text": st.one_of(text, long_text, wrong),
                    "name": st.one_of(text, long_text, wrong), "id": question_id},
            "upvote": {"room": room, "id": question_id},
            "answered": {"room": room, "id": question_id, "answered": flag},
            "hide": {"room": room, "id": question_id, "hidden": flag},
            "freeze": {"room": room, "frozen": flag},
        },
        "/pulse": {
            "react": {"room": room, "emoji": st.one_of(st.sampled_from(EMOJI), text, long_text,
                                                       wrong)},
            "pace": {"room": room, "value": st.one_of(st.sampled_from(["slow", "good", "fast"]),
                                                      text, wrong)},
        },
    }
    return {**common, **per_namespace[namespace]}[event]


def valid_fields(namespace: str, event: str) -> tuple[dict, dict]:
    """Required and optional fields of a payload the event accepts (when the connection has
    joined, presents where needed, and so on): only right values."""
    joined = st.sampled_from(ROOMS)
    ok_text = st.text(min_size=1, max_size=40).filter(str.strip)
    op = st.from_regex(r"[A-Za-z0-9_-]{1,20}", fullmatch=True)
    key_name = st.sampled_from(KEYS)
    if namespace == "/sync":
        return {
            "join": ({"room": joined}, {"since": st.integers(0, 3000),
                                        "epoch": st.text(max_size=128)}),
            "leave": ({"room": joined}, {}),
            "set": ({"room": joined, "key": key_name, "value": any_json},
                    {"expect": st.integers(0, 50), "op": op}),
            "incr": ({"room": joined, "key": key_name,
                      "by": st.one_of(st.integers(-10**9, 10**9),
                                      st.floats(-1e9, 1e9, allow_nan=False))}, {"op": op}),
            "delete": ({"room": joined, "key": key_name}, {"op": op}),
        }[event]
    poll_id = st.integers(1, 12)
    question_id = st.integers(1, 40)
    common = {"join": ({"room": joined}, {"token": st.just(TOKEN), "screen": st.booleans()}),
              "leave": ({"room": joined}, {})}
    per_namespace = {
        "/poll": {
            "open": ({"room": joined, "kind": st.sampled_from(["choice", "ranking"]),
                      "question": ok_text,
                      "options": st.lists(ok_text, min_size=2, max_size=6, unique=True)},
                     {"hidden": st.booleans()}),
            "answer": ({"room": joined, "poll": poll_id,
                        "answer": st.one_of(st.integers(0, 5), ok_text)}, {}),
            "close": ({"room": joined, "poll": poll_id}, {}),
            "reveal": ({"room": joined, "poll": poll_id}, {"revealed": st.booleans()}),
            "next": ({"room": joined}, {}),
            "moderate": ({"room": joined, "poll": poll_id, "id": st.integers(1, 5)},
                         {"shown": st.booleans()}),
            "remove_word": ({"room": joined, "poll": poll_id, "word": ok_text}, {}),
            "reset_scores": ({"room": joined}, {}),
            "nickname": ({"room": joined, "nickname": st.text(min_size=1, max_size=24).filter(
                str.strip)}, {}),
            "me": ({"room": joined}, {}),
        },
        "/qa": {
            "ask": ({"room": joined, "text": ok_text}, {"name": st.text(max_size=40)}),
            "upvote": ({"room": joined, "id": question_id}, {}),
            "answered": ({"room": joined, "id": question_id}, {"answered": st.booleans()}),
            "hide": ({"room": joined, "id": question_id}, {"hidden": st.booleans()}),
            "freeze": ({"room": joined}, {"frozen": st.booleans()}),
        },
        "/pulse": {
            "react": ({"room": joined, "emoji": st.sampled_from(EMOJI)}, {}),
            "pace": ({"room": joined, "value": st.sampled_from(["slow", "good", "fast"])}, {}),
        },
    }
    return {**common, **per_namespace[namespace]}[event]


def near_valid(namespace: str, event: str) -> st.SearchStrategy[dict]:
    """The event's own fields, each present or not, plus sometimes unknown ones."""
    fields = fields_for(namespace, event)
    return st.builds(
        lambda chosen, extra: {**extra, **chosen},
        st.fixed_dictionaries({}, optional=fields),
        st.one_of(st.just({}), st.just({}), st.dictionaries(text, any_json, max_size=3)))


def one_off(namespace: str, event: str) -> st.SearchStrategy[dict]:
    """A payload the event accepts, or one changed in a single place: a field given a wrong
    value, a field left out, or unknown fields added. These get past the first checks, so the
    handlers, the store and the broadcasts run on them."""
    required, optional = valid_fields(namespace, event)
    names = sorted({*required, *optional})

    @st.composite
    def build(draw) -> dict:
        payload = draw(st.fixed_dictionaries(required, optional=optional))
        change = draw(st.sampled_from(["none", "none", "wrong", "drop", "extra"]))
        if change == "wrong":
            payload[draw(st.sampled_from(names))] = draw(wrong)
        elif change == "drop":
            payload.pop(draw(st.sampled_from(names)), None)
        elif change == "extra":
            payload.update(draw(st.dictionaries(text, any_json, min_size=1, max_size=3)))
        return payload

    return build()


def arguments(payload: st.SearchStrategy) -> st.SearchStrategy[tuple]:
    """Mostly one payload; sometimes none, or several arguments."""
    return st.one_of(payload.map(lambda p: (p,)), payload.map(lambda p: (p,)),
                     payload.map(lambda p: (p,)), payload.map(lambda p: (p,)),
                     st.just(()), st.tuples(payload, any_json),
                     st.lists(any_json, min_size=2, max_size=4).map(tuple))


def branches(group: str) -> list[st.SearchStrategy[tuple[str, str, tuple[Any, ...]]]]:
    """The strategies of one corpus group, one per target: (namespace, event, args) calls.
    ``group``: "sync" for /sync's own events; "other" for each audience namespace's events and,
    per namespace (/sync included), event names no namespace takes. A `join` to an audience
    namespace carries TOKEN now and then, so that presenter-only events get past the token
    check too."""
    def for_event(ns: str, event: str) -> st.SearchStrategy:
        payload = st.one_of(one_off(ns, event), one_off(ns, event), near_valid(ns, event),
                            near_valid(ns, event), any_json)
        return st.tuples(st.just(ns), st.just(event), arguments(payload))

    if group == "sync":
        return [for_event("/sync", event) for event in NAMESPACES["/sync"]]
    names = st.one_of(st.sampled_from(RESERVED), text)
    audience = [for_event(ns, event) for ns, events in NAMESPACES.items() if ns != "/sync"
                for event in events]
    odd_names = [st.tuples(st.just(ns), names, arguments(any_json)) for ns in NAMESPACES]
    return audience + odd_names


# Below CHORUS_MAX_MESSAGE (64 KiB): a larger websocket message closes the connection with
# 1009 by design (tests/hardening/test_message_cap.py), which would end a fuzzer's run rather
# than test a handler.
MESSAGE_BUDGET = 60_000


def fits_one_message(call: tuple[str, str, tuple[Any, ...]]) -> bool:
    """Whether the call's Socket.IO packet, JSON as python-socketio encodes it, stays under
    MESSAGE_BUDGET bytes."""
    _, event, args = call
    return len(json.dumps([event, *args], separators=(",", ":"))) < MESSAGE_BUDGET


def generate(group: str, count: int, seed: int) -> list[tuple[str, str, tuple[Any, ...]]]:
    """About ``count`` calls, an equal share drawn by Hypothesis from each of
    ``branches(group)``, reproducibly from ``seed``. Drawn branch by branch, not through one
    ``one_of``: Hypothesis does not pick among alternatives evenly, and an event left with a
    few dozen calls would be tested thinly.

    Hypothesis runs its generation phase only (no shrinking: nothing fails here), with no
    example database; each example it draws that fits one message is kept."""
    drawn: list[tuple[str, str, tuple[Any, ...]]] = []
    strategies = branches(group)
    for index, strategy in enumerate(strategies):
        @with_seed(seed + index)
        @settings(max_examples=count // len(strategies), database=None, deadline=None,
                  phases=[Phase.generate], suppress_health_check=list(HealthCheck))
        @given(strategy)
        def collect(call: tuple[str, str, tuple[Any, ...]]) -> None:
            if fits_one_message(call):
                drawn.append(call)

        collect()
    random.Random(seed).shuffle(drawn)
    return drawn
