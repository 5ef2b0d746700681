"""A client that stops reading cannot make the server's memory grow without bound: once more than
CHORUS_MAX_BACKLOG bytes (1 MiB) wait unsent for one websocket client, it is dropped
(app/transport/lean_socket.py), and it catches up with `since` when it comes back. Dropping it
must not hurt anyone else: not the worker (which must survive it), not a client that does read."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import websocket

from tests.hardening.checks import assert_worker_lived, healthy, rss_mib, worker_pid
from tests.hardening.rawsio import RawSocketIO
from tests.support import Server, SyncClient

STALLED = 30  # clients that stop reading
WRITES = 10_000  # sets of 3 KB values on 100 rotating keys
KEYS = 100
WINDOW = 200  # writes in flight at once: the writer reads its acks and batches as it goes
VALUE = "v" * 3000
# Measured on a 2-core box: about 28 MiB of growth with the cap (mostly batches in flight and
# the room's log), about 196 MiB with CHORUS_MAX_BACKLOG=1000000000 (no cap in effect).
GROWTH_BOUND_MIB = 75


@pytest.fixture(scope="module")
def server(workdir):
    srv = Server(workdir, {"CHORUS_STORE": "memory://", "CHORUS_MAX_KEYS": "20000",
                           "CHORUS_EVENT_RATE": "100000", "CHORUS_EVENT_BURST": "100000"}).start()
    yield srv
    srv.stop()


class PeakRss:
    """The worker's largest RSS, sampled every 20 ms while the block runs."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = rss_mib(pid)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.wait(0.02):
            try:
                self.peak = max(self.peak, rss_mib(self.pid))
            except FileNotFoundError:  # the worker is gone: the test says so
                return

    def __enter__(self) -> PeakRss:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()


def write_all(writer: SyncClient, room: str, count: int, keys: int = KEYS,
              value: str = VALUE) -> list[dict]:
    """``count`` sets on ``keys`` rotating keys, WINDOW at a time, waiting on each window's
    acks."""
    acks: list[dict] = []
    for start in range(0, count, WINDOW):
        window: list[dict] = []
        done = threading.Event()
        size = min(WINDOW, count - start)

        def answered(ack, window=window, done=done, size=size):
            window.append(ack)
            if len(window) == size:
                done.set()

        for i in range(start, start + size):
            writer.emit("set", {"room": room, "key": f"k{i % keys}", "value": f"{i}:{value}"},
                        callback=answered)
        assert done.wait(30), f"acks missing after write {start}"
        acks.extend(window)
    return acks


def read_until_closed(client: RawSocketIO, timeout: float = 15.0) -> str:
    """Read what the kernel still holds for a stalled client, until the server's end shows:
    EOF or a reset. Returns which."""
    sock = client.ws.sock
    sock.settimeout(timeout)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if not sock.recv(1 << 20):
                return "eof"
        except ConnectionResetError:
            return "reset"
        except TimeoutError:
            break
    raise AssertionError("the stalled client's connection is still open")


def test_stalled_clients_are_dropped_and_memory_stays_bounded(server):
    room = "slow-" + uuid.uuid4().hex[:8]
    pid = worker_pid(server)
    writer = SyncClient(server.url).connect()
    stalled: list[RawSocketIO] = []
    try:
        writer.join(room)
        for i in range(10):  # some state before the stalled clients join
            assert writer.call("set", {"room": room, "key": f"k{i}", "value": "old"})["ok"]
        base = rss_mib(pid)
        held_versions = []
        for _ in range(STALLED):
            # a tiny receive window: the kernel holds little for it, the server the rest
            client = RawSocketIO(server.url, rcvbuf=4096)
            client.connect_namespace()
            ack = client.call("join", {"room": room})
            assert ack["ok"] and ack["version"] == 10
            held_versions.append(ack["version"])
            stalled.append(client)  # from here on it never reads again
        started = time.monotonic()
        try:
            with PeakRss(pid) as rss:
                acks = write_all(writer, room, WRITES)
        finally:
            assert_worker_lived(server)
        elapsed = time.monotonic() - started
        assert all(ack["ok"] for ack in acks), [a for a in acks if not a["ok"]][:3]
        assert writer.sio.connected, "the writer, which reads, was dropped too"

        growth = rss.peak - base
        assert growth < GROWTH_BOUND_MIB, \
            f"worker RSS grew by {growth:.0f} MiB (from {base:.0f}) over {elapsed:.1f} s"

        # every stalled client was dropped by the server, and said so in the log
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            dropped = [c for c in stalled
                       if f"{c.eio_sid}: dropped, it stopped reading" in server.log()]
            if len(dropped) == STALLED:
                break
            time.sleep(0.1)
        assert len(dropped) == STALLED, f"{len(dropped)} of {STALLED} dropped"
        ends = {read_until_closed(client) for client in stalled}
        assert ends <= {"eof", "reset"}, ends

        # coming back with `since`, a client converges to the writer's final values
        final = {f"k{i % KEYS}": f"{i}:{VALUE}" for i in range(WRITES)}
        back = SyncClient(server.url).connect()
        try:
            ack = back.join(room, since=held_versions[0])
            if "values" in ack:
                state = {key: entry["value"] for key, entry in ack["values"].items()}
            else:
                state = {change["key"]: change["value"] for change in ack["changes"]}
            assert ack["version"] == 10 + WRITES
            assert state == final
        finally:
            back.disconnect()
        assert healthy(server.url)
        assert_worker_lived(server)
    finally:
        writer.disconnect()
        for client in stalled:
            client.close()


def test_a_reading_client_is_not_dropped_for_one_large_answer(server):
    """The backlog cap is for clients that stopped reading. A client that reads all the time,
    through a small receive window (a phone on a slow link), joining a room whose state is
    larger than the cap plus all the kernel can buffer (2,000 keys of 4 KB here, allowed by
    CHORUS_MAX_KEYS: an 8 MB answer, where the kernel holds at most tcp_wmem's 4 MB and the
    reader's 8 KB, so at least 4 MB, four times the cap, waits in the server), must get its
    join answer, not be dropped as a slow reader the moment that one answer is queued: it could
    never join that room."""
    room = "large-" + uuid.uuid4().hex[:8]
    writer = SyncClient(server.url).connect()
    try:
        writer.join(room)
        acks = write_all(writer, room, 2000, keys=2000, value="w" * 4000)
        assert all(ack["ok"] for ack in acks)
    finally:
        writer.disconnect()
    reader = RawSocketIO(server.url, rcvbuf=8192)
    try:
        reader.connect_namespace()
        ack_id = reader.emit("join", {"room": room})
        try:
            ack = reader.ack(ack_id, timeout=10)  # reads without pause until the answer
        except (ConnectionError, websocket.WebSocketException):
            dropped = [line for line in server.log().splitlines()
                       if f"{reader.eio_sid}: dropped" in line]
            raise AssertionError(f"no join answer; the server log says: {dropped}") from None
    finally:
        reader.close()
    assert ack["ok"] and len(ack["values"]) == 2000
    assert_worker_lived(server)
