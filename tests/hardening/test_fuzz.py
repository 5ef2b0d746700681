"""Fuzz: 12,000 calls of random shape, drawn by Hypothesis, to every event of every namespace
and to event names no namespace takes, over several connections at once; then payloads no
generator would draw (2,000-deep nesting, 100k-character strings, lone surrogates, 1e999, huge
integers, malformed packets), sent raw.

The server must stay up; every ack must be well formed by the contract; every event that asked
for an ack must get one; and a well-behaved client in the same room, timing a `set` round trip
every 20 ms from its own process, must see only ok answers, each within 200 ms, throughout.

The corpus is reproducible: its seeds are printed on failure and can be fixed with
CHORUS_FUZZ_SEED=<n>.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from types import SimpleNamespace
from typing import Any

import pytest
import requests
import socketio
import socketio.packet

from tests.audience_support import create_room
from tests.hardening.checks import ack_problem, assert_worker_lived, healthy
from tests.hardening.payloads import NAMESPACES, PROTECTED_KEY, ROOMS, TOKEN, generate
from tests.hardening.probe import Probe
from tests.hardening.rawpoll import RawPolling
from tests.hardening.rawsio import RawSocketIO
from tests.support import Server

PER_GROUP = 6_000  # calls drawn for /sync, and as many for the rest: 12,000 in all
CONNECTIONS = {"/sync": 3, "/poll": 2, "/qa": 2, "/pulse": 2}
IN_FLIGHT = 64  # unanswered events per connection at most: a busy client, not a blind flood
SEED = int(os.environ.get("CHORUS_FUZZ_SEED") or random.SystemRandom().randrange(1 << 32))


@pytest.fixture(scope="module")
def corpus():
    """Drawn in two processes at once (Hypothesis is CPU-bound, and the box has two cores)
    while the server starts."""
    spawn = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=2, mp_context=spawn)
    futures = {group: pool.submit(generate, group, PER_GROUP, SEED + i)
               for i, group in enumerate(("sync", "other"))}
    yield futures
    pool.shutdown(cancel_futures=True)


@pytest.fixture(scope="module", autouse=True)
def unlimited_json():
    """python-socketio's clients parse packets with engineio.json, which refuses integers of
    more than 100 digits: a join answer holding a value the fuzz stored with a 400-digit integer
    (valid JSON, within 4 KiB, accepted by the server) would be dropped by the client unread.
    The fuzzing clients read with the standard library's json, as the server does."""
    kept = socketio.packet.Packet.json
    socketio.packet.Packet.json = SimpleNamespace(dumps=json.dumps, loads=json.loads)
    yield
    socketio.packet.Packet.json = kept


@pytest.fixture(scope="module")
def server(workdir):
    srv = Server(workdir, {"CHORUS_STORE": "memory://", "CHORUS_EVENT_RATE": "100000",
                           "CHORUS_EVENT_BURST": "100000"}).start()
    yield srv
    srv.stop()


class Fuzzer:
    """One connection to one namespace, sending its share of the corpus with IN_FLIGHT events
    outstanding at most, and keeping every ack."""

    def __init__(self, url: str, namespace: str, token: str, device: bool) -> None:
        self.namespace = namespace
        self.token = token
        self.http = requests.Session()
        if device:  # the room page gives this browser a signed device cookie
            self.http.get(f"{url}/r/{ROOMS[0]}", timeout=10).raise_for_status()
        self.sio = socketio.Client(reconnection=False, http_session=self.http)
        self.sio.connect(url, namespaces=[namespace], transports=["websocket"], wait_timeout=10)
        self.calls: list[tuple[str, tuple]] = []
        self.acks: dict[int, tuple] = {}
        self.sent = 0
        self.slots = threading.Semaphore(IN_FLIGHT)
        self.lock = threading.Lock()
        self.error: BaseException | None = None

    def join_rooms(self, presenter: bool) -> None:
        for room in ROOMS:
            payload: dict[str, Any] = {"room": room}
            if presenter and room == ROOMS[0]:
                payload["token"] = self.token
            ack = self.sio.call("join", payload, namespace=self.namespace, timeout=10)
            assert ack["ok"], (self.namespace, ack)

    def real(self, args: tuple) -> tuple:
        """The generated arguments, with the real presenter token where TOKEN stands."""
        if args and isinstance(args[0], dict) and args[0].get("token") == TOKEN:
            return ({**args[0], "token": self.token}, *args[1:])
        return args

    def run(self) -> None:
        try:
            for index, (event, args) in enumerate(self.calls):
                if not self.slots.acquire(timeout=30):
                    raise AssertionError(f"{self.namespace}: no ack for 30 s at call {index}")
                self.sio.emit(event, self.real(args), namespace=self.namespace,
                              callback=self._answer(index))
                self.sent += 1
        except BaseException as exc:  # reported by the test, with the call that failed
            self.error = exc

    def _answer(self, index: int):
        def answered(*args: Any) -> None:
            with self.lock:
                self.acks[index] = args
            self.slots.release()
        return answered

    def close(self) -> None:
        try:
            self.sio.disconnect()
        except Exception:
            pass
        self.http.close()


def test_fuzz_every_namespace_and_event(corpus, server):  # corpus first: drawn meanwhile
    token = create_room(server.url, ROOMS[0])
    probe = Probe(server.url, ROOMS[0]).start()
    fuzzers: list[Fuzzer] = []
    try:
        for namespace, count in CONNECTIONS.items():
            for i in range(count):
                fuzzer = Fuzzer(server.url, namespace, token, device=(i % 2 == 0))
                fuzzer.join_rooms(presenter=(namespace != "/sync" and i == 0))
                fuzzers.append(fuzzer)
        calls = corpus["sync"].result(timeout=120) + corpus["other"].result(timeout=120)
        by_namespace: dict[str, list[Fuzzer]] = {}
        for fuzzer in fuzzers:
            by_namespace.setdefault(fuzzer.namespace, []).append(fuzzer)
        for i, (namespace, event, args) in enumerate(calls):
            group = by_namespace[namespace]
            group[i % len(group)].calls.append((event, args))

        log_before = len(server.log())
        start = time.monotonic()
        probe.wait_round_trips(10, after=start)
        fuzzing = time.monotonic()
        threads = [threading.Thread(target=f.run) for f in fuzzers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and \
                any(len(f.acks) < f.sent for f in fuzzers):
            time.sleep(0.05)
        done = time.monotonic()
        probe.wait_round_trips(10, after=done)
    finally:
        probe.stop()
        for fuzzer in fuzzers:
            fuzzer.close()

    where = f"(CHORUS_FUZZ_SEED={SEED})"
    errors = [f.error for f in fuzzers if f.error is not None]
    assert not errors, f"{where} senders failed: {errors}"
    sent = sum(f.sent for f in fuzzers)
    assert sent == len(calls) >= 10_000, (sent, len(calls))
    missing = [(f.namespace, *f.calls[i]) for f in fuzzers for i in range(f.sent)
               if i not in f.acks]
    assert not missing, f"{where} {len(missing)} of {sent} events got no ack, e.g. " \
                        f"{[repr(m)[:300] for m in missing[:5]]}"
    problems = []
    unavailable = []
    for fuzzer in fuzzers:
        for index, args in fuzzer.acks.items():
            problem = "not one argument" if len(args) != 1 else ack_problem(args[0])
            if problem:
                problems.append((fuzzer.namespace, fuzzer.calls[index], problem))
            elif not args[0]["ok"] and args[0]["error"]["code"] == "unavailable":
                unavailable.append((fuzzer.namespace, fuzzer.calls[index], args[0]))
    assert not problems, f"{where} malformed acks: {[repr(p)[:300] for p in problems[:5]]}"
    # the corpus reached every event of every namespace, and other names, many times over; and
    # enough of it was accepted that the handlers behind the checks ran too
    sent_to: Counter = Counter()
    accepted: Counter = Counter()
    for fuzzer in fuzzers:
        events = NAMESPACES[fuzzer.namespace]
        for index, (event, _) in enumerate(fuzzer.calls):
            name = event if event in events else "(other)"
            sent_to[fuzzer.namespace, name] += 1
            if fuzzer.acks[index][0]["ok"]:
                accepted[fuzzer.namespace, name] += 1
    thin = {k: n for k, n in sent_to.items() if n < 50}
    assert not thin and len(sent_to) == sum(len(e) + 1 for e in NAMESPACES.values()), thin
    never = [(ns, event) for ns, events in NAMESPACES.items() for event in events
             if ns == "/sync" or event in ("join", "leave")
             if accepted[ns, event] < (20 if ns == "/sync" else 5)]
    assert not never, f"{where} never accepted: {never}; accepted: {accepted}"
    # `unavailable` is the answer to an exception no check caught: a handler bug
    assert not unavailable, f"{where} {len(unavailable)} events hit a server error, e.g. " \
                            f"{[repr(u)[:300] for u in unavailable[:5]]}"
    new_log = server.log()[log_before:]
    assert "Traceback" not in new_log, f"{where} " + new_log[-3000:]
    assert healthy(server.url)
    assert_worker_lived(server)
    probe.assert_snappy(start, fuzzing, least=10, what="before the fuzz")
    probe.assert_snappy(fuzzing, done, least=20, what=f"during the fuzz ({sent} events, "
                                                       f"{done - fuzzing:.1f} s) {where}")
    probe.assert_snappy(done, float("inf"), least=10, what="after the fuzz")


# Payloads no JSON encoder writes, sent as raw packet text: (name, text after "42/sync,<id>",
# expected error codes; None: any well-formed failure ack, or the server closing the connection).
DEEP_LIST = "[" * 2000 + "]" * 2000
DEEP_OBJECT = '{"a":' * 2000 + "1" + "}" * 2000
SET = '["set",{{"room":"nasty","key":"k","value":{}}}]'
RAW_CASES = [
    ("deep-list-value", SET.format(DEEP_LIST), {"bad_request"}),
    ("deep-object-value", SET.format(DEEP_OBJECT), {"bad_request"}),
    ("deep-list-payload", '["set",' + DEEP_LIST + "]", {"bad_request"}),
    ("deep-object-payload", '["join",' + DEEP_OBJECT + "]", {"bad_request"}),
    ("deep-event-name", "[" + DEEP_LIST + "]", {"bad_request"}),
    ("lone-high-surrogate-value", SET.format('"\\ud800"'), {"bad_request"}),
    ("lone-low-surrogate-value", SET.format('"a\\udfffb"'), {"bad_request"}),
    ("lone-surrogate-in-nested-key", SET.format('{"\\udbff":[1]}'), {"bad_request"}),
    ("lone-surrogate-key", '["set",{"room":"nasty","key":"\\ud800","value":1}]',
     {"bad_request"}),
    ("lone-surrogate-room", '["join",{"room":"\\ud800"}]', {"bad_request"}),
    ("lone-surrogate-event", '["\\ud800",{"room":"nasty"}]', {"bad_request"}),
    ("lone-surrogate-op", '["set",{"room":"nasty","key":"k","value":1,"op":"\\ud800"}]',
     {"bad_request"}),
    ("1e999-value", SET.format("1e999"), {"bad_request"}),
    ("-1e999-value", SET.format("-1e999"), {"bad_request"}),
    ("NaN-value", SET.format("NaN"), {"bad_request"}),
    ("1e999-by", '["incr",{"room":"nasty","key":"n","by":1e999}]', {"bad_request"}),
    ("1e999-since", '["join",{"room":"nasty","since":1e999}]', {"bad_request"}),
    ("1e999-expect", '["set",{"room":"nasty","key":"k","value":1,"expect":1e999}]',
     {"bad_request"}),
    ("400-digit-by", '["incr",{"room":"nasty","key":"n","by":' + "9" * 400 + "}]",
     {"bad_request"}),
    ("5000-digit-value", SET.format("9" * 5000), {"bad_request", "too_large"}),
    ("5000-digit-since", '["join",{"room":"nasty","since":' + "9" * 5000 + "}]",
     {"bad_request"}),
    ("5000-digit-event-name", "[" + "9" * 5000 + "]", {"bad_request"}),
    ("event-data-is-an-object", '{"a":1}', None),
    ("event-data-is-empty", "[]", None),
    # a space keeps the number apart from the ack id before it ("42/sync,1 5")
    ("event-data-is-a-number", " 5", None),
    ("event-data-is-a-string", '"set"', None),
    ("event-data-is-broken-json", '["set",', None),
]


@pytest.fixture
def joined_raw(server):
    client = RawSocketIO(server.url)
    client.connect_namespace()
    assert client.call("join", {"room": "nasty"})["ok"]
    yield client
    client.close()


@pytest.mark.parametrize("text,codes", [(t, c) for _, t, c in RAW_CASES],
                         ids=[name for name, _, _ in RAW_CASES])
def test_nasty_raw_packet(server, joined_raw, text, codes):
    ack_id = joined_raw.emit_raw(text)
    try:
        ack = joined_raw.ack(ack_id, timeout=2)
    except ConnectionError:
        if codes is None:  # a malformed packet may cost the sender its connection
            assert healthy(server.url)
            assert_worker_lived(server)
            return
        raise
    except TimeoutError:
        raise AssertionError("no answer and the connection left open: a silent drop") from None
    assert ack_problem(ack) is None, ack
    assert ack["ok"] is False, ack
    if codes is not None:
        assert ack["error"]["code"] in codes, ack
    # the connection stays usable, and joined
    assert joined_raw.call("set", {"room": "nasty", "key": "after", "value": 1})["ok"]
    assert healthy(server.url)
    assert_worker_lived(server)


def test_escaped_surrogate_pair_is_a_value_like_any(joined_raw):
    """The control for the surrogate cases: a well-formed pair is one character, and stored."""
    assert joined_raw.ack(joined_raw.emit_raw(SET.format('"\\ud83d\\ude00"')))["ok"]
    assert joined_raw.call("join", {"room": "nasty"})["values"]["k"]["value"] == "\U0001f600"


@pytest.mark.parametrize("event,payload,code", [
    ("set", {"room": "nasty", "key": "k", "value": "x" * 100_000}, "too_large"),
    ("set", {"room": "nasty", "key": "k", "value": ["é" * 1000] * 100}, "too_large"),
    ("set", {"room": "nasty", "key": "k" * 100_000, "value": 1}, "bad_request"),
    ("join", {"room": "r" * 100_000}, "bad_request"),
    ("join", {"room": "nasty", "epoch": "e" * 100_000}, "bad_request"),
    ("incr", {"room": "nasty", "key": "n", "by": 1, "op": "o" * 100_000}, "bad_request"),
    ("x" * 100_000, {"room": "nasty"}, "bad_request"),
], ids=["value", "value-of-many-strings", "key", "room", "epoch", "op", "event-name"])
def test_100k_strings_over_polling(server, event, payload, code):
    """Over websocket the 64 KiB message cap would cut these off first; a polling POST takes
    up to 1,000,000 bytes, so the app's own checks answer them."""
    polling = RawPolling(server.url)
    try:
        assert polling.call("join", {"room": "nasty"})["ok"]
        ack = polling.call(event, payload)
        assert ack_problem(ack) is None and ack["error"]["code"] == code, ack
        assert polling.call("set", {"room": "nasty", "key": PROTECTED_KEY + "-not", "value": 1})[
            "ok"]
    finally:
        polling.close()
    assert healthy(server.url)
    assert_worker_lived(server)
