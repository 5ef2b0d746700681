"""Graceful restart of one gunicorn on SQLite: SIGTERM stops it taking new work, lets the writes
in flight finish, closes every connection so clients come back by themselves, and exits
promptly with status 0; started again on the same file, every acknowledged write is there."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections import defaultdict

import pytest
import requests

from tests.hardening.restart_support import (
    TRANSPORT_ERROR,
    Ledger,
    TrackedClient,
    cli,
    ensure_running,
    main_thread_sleeping,
    send_sigterm,
    wait_exit,
    wait_until,
    worker_pid,
)
from tests.support import Server, SyncClient

GRACEFUL = 5  # CHORUS_GRACEFUL_TIMEOUT of the server below
IN_FLIGHT = 16  # writes each burst client keeps waiting for their ack


@pytest.fixture(scope="module")
def sqlite_server(workdir):
    db = workdir / "graceful.db"
    srv = Server(workdir, {
        "CHORUS_STORE": f"sqlite:///{db}",
        "CHORUS_GRACEFUL_TIMEOUT": str(GRACEFUL),
        "CHORUS_EVENT_RATE": "0",  # the burst is the point here, not the per-connection limit
    }).start()
    srv.db = db
    yield srv
    srv.stop()


def own_room(client: str) -> str:
    return f"own-{client}"


def _burst(client: SyncClient, cid: str, shared: str, ledger: Ledger,
           stop: threading.Event) -> None:
    """Alternate incr on the shared counter and set on the client's own keys, each with an
    op id, asynchronously, keeping IN_FLIGHT writes waiting for their ack, until the
    connection goes."""
    i = 0
    while not stop.is_set() and client.sio.connected:
        if not ledger.wait_below(cid, IN_FLIGHT, 0.2):
            continue
        i += 1
        if i % 2:
            event, payload = "incr", {"room": shared, "key": "n", "by": 1}
        else:  # values only grow per key: a later write of a key always holds a larger one
            event, payload = "set", {"room": own_room(cid), "key": f"s{(i // 2) % 20}",
                                     "value": i}
        payload["op"] = f"{cid}-{i}"
        write = ledger.add(cid, event, payload)
        try:
            client.emit(event, payload, callback=ledger.answer(write))
        except Exception:
            return  # the connection is gone; this write stays unanswered and is retried later


def _handshake_accepted(url: str) -> bool:
    try:
        reply = requests.get(url + "/socket.io/?EIO=4&transport=polling", timeout=1,
                             headers={"Connection": "close"})
    except requests.RequestException:
        return False
    return reply.status_code == 200


def test_sigterm_during_write_burst_loses_no_acknowledged_write(sqlite_server):
    """Four clients (two websocket, two polling) write as fast as acks come back while the
    master gets SIGTERM. Every write acknowledged `ok` is in the file after the restart, none
    answered otherwise was applied, and retrying the unanswered ones with their op ids ends
    the counter at exactly the number of increments sent."""
    srv = sqlite_server
    ensure_running(srv)
    tag = uuid.uuid4().hex[:6]
    shared = f"burst-{tag}"
    specs = {f"b{tag}-{i}": "websocket" if i % 2 == 0 else "polling" for i in range(4)}
    ledger = Ledger()
    clients: dict[str, SyncClient] = {}
    stop = threading.Event()
    threads: list[threading.Thread] = []
    try:
        for cid, transport in specs.items():
            clients[cid] = SyncClient(srv.url, transport, client=cid).connect()
            epoch = clients[cid].join(shared)["epoch"]
            clients[cid].join(own_room(cid))
        for cid, client in clients.items():
            threads.append(threading.Thread(target=_burst, daemon=True,
                                            args=(client, cid, shared, ledger, stop)))
            threads[-1].start()
        wait_until(lambda: len(ledger.ok()) >= 400, 30, "400 writes acknowledged before SIGTERM")

        sent = send_sigterm(srv)
        # it stops taking new connections at once (503 while draining, then no listener)
        wait_until(lambda: not _handshake_accepted(srv.url), 3,
                   "new Engine.IO handshakes to be refused after SIGTERM")
        stopped = wait_exit(srv, sent, GRACEFUL + 5)
        assert stopped.code == 0, srv.log()[-3000:]
        assert stopped.seconds < GRACEFUL + 5
        for t in threads:
            t.join(10)
        assert not any(t.is_alive() for t in threads), "a burst thread did not end"
        wait_until(lambda: not any(c.sio.connected for c in clients.values()), 10,
                   "every burst client to notice the server is gone")
    finally:
        stop.set()
        for client in clients.values():
            client.disconnect()

    assert any(w.sent_at > sent for w in ledger.writes), "the burst had ended before SIGTERM"
    print(f"burst: {len(ledger.writes)} writes, {len(ledger.ok())} ok, "
          f"{len(ledger.refused())} refused, {len(ledger.unanswered())} unanswered; "
          f"exit {stopped.code} after {stopped.seconds:.2f} s")
    refused = ledger.refused()
    assert all(w.ack["error"]["code"] == "unavailable" for w in refused), \
        [w.ack for w in refused if w.ack["error"]["code"] != "unavailable"][:3]
    ok_incr, lost_incr = ledger.ok("incr"), ledger.unanswered("incr")
    sets: dict[tuple[str, str], list] = defaultdict(list)  # (client, key) -> its writes in order
    for w in ledger.writes:
        if w.event == "set":
            sets[(w.client, w.payload["key"])].append(w)

    srv.start()  # the same file, the same port
    reader = SyncClient(srv.url, "websocket", client=f"reader-{tag}").connect()
    try:
        after = reader.join(shared)
        assert after["epoch"] == epoch  # SQLite kept the history: no new epoch
        restarted_total = after["values"]["n"]["value"]
        # every acknowledged incr is counted, each once; unanswered ones may or may not be
        assert len(ok_incr) <= restarted_total <= len(ok_incr) + len(lost_incr)
        acked_totals = [w.ack["value"] for w in ok_incr]
        assert len(set(acked_totals)) == len(acked_totals)  # atomic: no total acked twice
        assert max(acked_totals) <= restarted_total
        for cid in specs:
            held = reader.join(own_room(cid))["values"]
            for (owner, key), writes in sets.items():
                if owner != cid:
                    continue
                acked = [w.payload["value"] for w in writes if w.ack and w.ack["ok"]]
                maybe = acked + [w.payload["value"] for w in writes if w.ack is None]
                value = held.get(key, {}).get("value")
                # the last acked value or a later unanswered one; never a refused one
                if acked:
                    assert value in maybe and value >= max(acked), (key, value, acked)
                else:
                    assert value is None or value in maybe, (key, value)

        # The clients come back with the same client ids and retry what got no answer, with
        # the same op ids: applied at most once in all.
        applied_unanswered = 0
        by_transport: dict[str, int] = defaultdict(int)  # of those, per transport
        for cid, transport in specs.items():
            again = SyncClient(srv.url, transport, client=cid).connect()
            try:
                again.join(shared)
                again.join(own_room(cid))
                for w in ledger.unanswered():
                    if w.client != cid:
                        continue
                    ack = again.call(w.event, w.payload)
                    assert ack["ok"], (w.payload, ack)
                    if w.event == "incr" and ack["value"] <= restarted_total:
                        applied_unanswered += 1  # applied before the stop; its ack was lost
                        by_transport[transport] += 1
                # an op acknowledged before the restart is answered the same and not redone
                for w in [w for w in ok_incr if w.client == cid][-5:]:
                    assert again.call("incr", w.payload) == w.ack
            finally:
                again.disconnect()

        final = reader.join(shared)["values"]
        print(f"unanswered increments already applied before the stop: {applied_unanswered} "
              f"{dict(by_transport)}")
        assert final["n"]["value"] == len(ok_incr) + len(lost_incr)
        assert final["n"]["value"] == restarted_total + len(lost_incr) - applied_unanswered
        for cid in specs:
            held = reader.join(own_room(cid))["values"]
            for (owner, key), writes in sets.items():
                if owner == cid and any(w.ack is None or w.ack["ok"] for w in writes):
                    wanted = max(w.payload["value"] for w in writes
                                 if w.ack is None or w.ack["ok"])
                    assert held[key]["value"] == wanted, (key, held.get(key), wanted)
    finally:
        reader.disconnect()


def test_write_in_flight_at_sigterm_is_finished_and_acknowledged(sqlite_server):
    """A write the worker is executing when SIGTERM arrives (held inside SQLite by a lock the
    test takes on the file) completes, is acknowledged `ok` and is on disk after the restart;
    a write sent after the signal is either refused `unavailable` (and not applied), answered
    `ok` (and kept), or unanswered (and applied once when retried with its op)."""
    srv = sqlite_server
    ensure_running(srv)
    tag = uuid.uuid4().hex[:6]
    room, cid = f"inflight-{tag}", f"inflight-{tag}"
    a = SyncClient(srv.url, "websocket", client=cid).connect()
    ledger = Ledger()
    try:
        a.join(room)
        assert a.call("incr", {"room": room, "key": "n", "by": 1, "op": "warm"})["ok"]
        worker = worker_pid(srv)
        lock = sqlite3.connect(str(srv.db), isolation_level=None, timeout=5)
        lock.execute("BEGIN IMMEDIATE")  # the worker's next write waits in SQLite's busy loop
        try:
            x = ledger.add(cid, "incr", {"room": room, "key": "n", "by": 1, "op": "x"})
            a.emit("incr", x.payload, callback=ledger.answer(x))
            wait_until(lambda: main_thread_sleeping(worker), 1.0,
                       "the worker to hold the write, waiting on the locked file")
            mark = len(srv.log())
            sent = send_sigterm(srv)
            wait_until(lambda: "Handling signal: term" in srv.log()[mark:], 1.0,
                       "the master to pass SIGTERM on")
            y = ledger.add(cid, "incr", {"room": room, "key": "n", "by": 1, "op": "y"})
            a.emit("incr", y.payload, callback=ledger.answer(y))
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        with ledger.cond:
            ledger.cond.wait_for(lambda: x.ack is not None, 5)
        assert x.ack == {"ok": True, "value": 2, "version": 2}, x.ack
        stopped = wait_exit(srv, sent, GRACEFUL + 5)
        assert stopped.code == 0
        assert stopped.seconds < GRACEFUL, f"exited {stopped.seconds:.1f} s after SIGTERM"
    finally:
        a.disconnect()

    srv.start()
    b = SyncClient(srv.url, "polling", client=cid).connect()
    try:
        assert b.join(room)["values"]["n"]["value"] == (3 if y.ack and y.ack["ok"] else 2)
        if y.ack is not None and not y.ack["ok"]:
            assert y.ack["error"]["code"] == "unavailable", y.ack
        assert b.call("incr", x.payload) == x.ack  # remembered across the restart: not redone
        y_again = b.call("incr", y.payload)
        assert y_again["ok"]
        if y.ack is not None and y.ack["ok"]:
            assert y_again == y.ack
        assert b.join(room)["values"]["n"]["value"] == 3
    finally:
        b.disconnect()


def test_clients_see_a_transport_close_and_come_back_by_themselves(sqlite_server):
    """On SIGTERM every connection is closed at the Engine.IO level within about two seconds,
    the way python-socketio (and socket.io-client) take as a lost transport; the worker then
    exits well before the graceful timeout. Started again on the same port, both clients
    reconnect with no code calling connect, rejoin with `since`, get what changed while they
    were away as `changes` and converge."""
    srv = sqlite_server
    ensure_running(srv)
    tag = uuid.uuid4().hex[:6]
    room = f"back-{tag}"
    clients = [TrackedClient(srv.url, room, transport, client=f"back-{tag}-{transport}")
               for transport in ("websocket", "polling")]
    try:
        for c in clients:
            c.start()
        assert clients[0].write("set", {"key": "before", "value": 1})["ok"]
        for c in clients:
            c.wait(lambda c=c: c.value("before") == 1, timeout=10, what="the first write")
        assert all(len(c.connects) == 1 and not c.disconnects for c in clients)

        mark = len(srv.log())
        sent = send_sigterm(srv)
        for c in clients:
            c.wait(lambda c=c: c.disconnects, timeout=5, what="its disconnect after SIGTERM")
        stopped = wait_exit(srv, sent, GRACEFUL + 5)

        problems = []
        for c in clients:
            lost_after = c.disconnects[0][0] - sent
            if lost_after > 2.0:
                problems.append(f"{c.transport}: disconnected {lost_after:.1f} s after SIGTERM")
            if c.reasons()[0] != TRANSPORT_ERROR:
                problems.append(f"{c.transport}: disconnect reason {c.reasons()[0]!r}, not "
                                f"{TRANSPORT_ERROR!r} (python-socketio does not reconnect after "
                                "an Engine.IO CLOSE packet or a Socket.IO disconnect)")
        if stopped.code != 0:
            problems.append(f"exit status {stopped.code}")
        if stopped.seconds >= GRACEFUL - 1.5:
            problems.append(f"exited {stopped.seconds:.1f} s after SIGTERM (graceful timeout "
                            f"{GRACEFUL} s)")
        since = srv.log()[mark:]
        if "graceful timeout" in since.lower() or "Worker exiting" not in since:
            problems.append("the worker did not exit by itself: it waited out its graceful "
                            "timeout (or was killed by the master)")

        # while everyone is away, a script changes the room straight in the file
        cli(f"sqlite:///{srv.db}", "set", room, "during", '"away"')
        cli(f"sqlite:///{srv.db}", "incr", room, "count", "5")
        joins = [len(c.join_log) for c in clients]
        srv.start()  # same port, same file; nobody calls connect on the clients
        for c, before in zip(clients, joins, strict=True):
            try:
                c.wait(lambda c=c, before=before: len(c.join_log) > before, timeout=10,
                       what="reconnecting and rejoining by itself")
            except AssertionError as exc:
                problems.append(f"{c.transport}: {exc} (disconnect reasons {c.reasons()})")
        assert not problems, "\n".join(problems)

        for c in clients:
            assert len(c.connects) == 2
            assert c.join_log[-1][1] == "changes", "the rejoin did not catch up with since"
            c.wait(lambda c=c: (c.value("before"), c.value("during"), c.value("count"))
                   == (1, "away", 5), timeout=10, what="the values changed while away")
        assert clients[1].write("incr", {"key": "count", "by": 1})["ok"]
        for c in clients:
            c.wait(lambda c=c: c.value("count") == 6, timeout=10, what="a write after coming back")
    finally:
        for c in clients:
            c.close()
