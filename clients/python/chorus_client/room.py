"""``Room``: one joined room over Socket.IO, kept current, with writes acknowledged once.

Threads: python-socketio's client reads the socket on its own threads and runs each incoming
packet on a thread of its own, so batches may be handled out of order; the room holds a batch
whose ``from`` is ahead of what it has until the missing one arrives, and rejoins with
``since`` when it does not come within ``GAP_WAIT`` seconds. A ``chorus-join`` thread joins
after every (re)connect; callbacks run on the feed's ``chorus-callbacks`` thread.

Writes carry an ``op`` id made once per call. A write whose connection is cut before the ack
is sent again with the same ``op`` after the rejoin: the server's op memory answers a repeat
with the first ack, so the write is applied exactly once.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

import engineio.payload
import requests
import socketio

from chorus_client.errors import (
    BadRequest,
    ChorusError,
    Closed,
    ConnectionFailed,
    Forbidden,
    Timeout,
    Unavailable,
    error_from_ack,
)
from chorus_client.feed import ChangeStream, Feed
from chorus_client.state import Change, RoomState

NAMESPACE = "/sync"
GAP_WAIT = 0.5  # seconds a batch ahead of the held version waits for the one before it
RETRY_CODES = {"unavailable", "rate_limited"}  # not applied: the same op is tried again
ROOM_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")

# A long-poll answer may hold a burst of hundreds of packets; Engine.IO's reader drops a whole
# answer of more than 16 (process-wide setting, shared with any other python-socketio client).
engineio.payload.Payload.max_decode_packets = max(engineio.payload.Payload.max_decode_packets,
                                                  1_000_000)


def new_id() -> str:
    """20 characters of [A-Za-z0-9_-]: an op id or a client id nobody else picks."""
    return secrets.token_urlsafe(15)


class Room:
    """A room of a Chorus server, joined until ``close()``; see the package README."""

    def __init__(self, url: str, room: str, token: str | None = None, *,
                 client: str | None = None, name: str | None = None,
                 transports: list[str] | None = None, timeout: float = 10.0) -> None:
        if not isinstance(room, str) or not ROOM_NAME.fullmatch(room):
            raise BadRequest(f"room must be 1-64 of A-Z a-z 0-9 _ -, not {room!r}")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise BadRequest(f"url must start with http:// or https://, not {url!r}")
        self.url = url.rstrip("/")
        self.room = room
        self.client = client or "py-" + new_id()
        self.timeout = timeout
        self._token = token
        self._token_checked = token is None
        self._state = RoomState(room)
        self._cond = threading.Condition(threading.RLock())
        self._session = 0  # moves at every connect and disconnect
        self._connected = False
        self._joined = False  # joined in the current session
        self._want_join = False
        self._closed = False
        self._held: list[dict[str, Any]] = []  # batches not applied yet (early, or ahead)
        self._gap_timer: threading.Timer | None = None
        self._join_error: ChorusError | None = None
        self._feed = Feed(room)
        self._sio = socketio.Client(reconnection=True, reconnection_delay=0.5,
                                    reconnection_delay_max=5)
        self._sio.on("connect", self._on_connect, namespace=NAMESPACE)
        self._sio.on("disconnect", self._on_disconnect, namespace=NAMESPACE)
        self._sio.on("changes", self._on_changes, namespace=NAMESPACE)
        self._joiner = threading.Thread(target=self._join_loop, name=f"chorus-join-{room}",
                                        daemon=True)
        self._joiner.start()
        auth: dict[str, Any] = {"client": self.client}
        if name:
            auth["name"] = name
        # The server reads the token only on its HTTP API; sent so a proxy or a future
        # server check sees the same credential.
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            self._sio.connect(self.url, namespaces=[NAMESPACE], auth=auth, headers=headers,
                              transports=transports, wait_timeout=timeout)
        except socketio.exceptions.ConnectionError as failure:
            self.close()
            raise ConnectionFailed(f"could not connect to {self.url}: {failure}") from None
        self._wait_joined(time.monotonic() + timeout)

    # ---------------------------------------------------------------------------- reading

    @property
    def values(self) -> MappingProxyType[str, Any]:
        """The room's values, a read-only view kept current (copy it with ``dict()``)."""
        return MappingProxyType(self._state.values)

    @property
    def versions(self) -> dict[str, int]:
        """Each key's version, deleted keys included (a copy)."""
        with self._cond:
            return dict(self._state.versions)

    @property
    def version(self) -> int:
        """The room version held: every change up to it has been applied."""
        return self._state.version or 0

    @property
    def epoch(self) -> str | None:
        """The room's epoch; a new one means the server lost the history and sent a snapshot."""
        return self._state.epoch

    @property
    def joined(self) -> bool:
        """True while the connection is up and in the room."""
        return self._joined

    def get(self, key: str, default: Any = None) -> Any:
        """One value, or ``default`` when the key is absent."""
        with self._cond:
            return self._state.values.get(key, default)

    def wait(self, predicate: Callable[[MappingProxyType[str, Any]], Any],
             timeout: float | None = None) -> bool:
        """Block until ``predicate(values)`` is true, checked at every change; returns False
        when ``timeout`` seconds passed first (or the room was closed)."""
        with self._cond:
            return bool(self._cond.wait_for(
                lambda: self._closed or predicate(self.values), timeout)) and not self._closed

    def on_change(self, key: str | None, fn: Callable[[Change], Any]) -> Callable[[], None]:
        """Call ``fn(change)`` once per change of ``key`` (None or "*": any key); returns a
        function that unsubscribes. Runs on the room's callback thread."""
        return self._feed.on_change(key, fn)

    def changes(self, key: str | None = None, timeout: float | None = None) -> ChangeStream:
        """Iterate over changes from now on (of ``key`` only, if given); the loop ends after
        ``timeout`` seconds, or when the room is closed."""
        return self._feed.stream(key, timeout)

    # ---------------------------------------------------------------------------- writing

    def set(self, key: str, value: Any, expect: int | None = None,
            timeout: float | None = None) -> dict[str, Any]:
        """Store ``value``; with ``expect``, only if the key is at that version (0: absent).
        Returns the ack; raises ``Conflict`` (with ``current``) and the other refusals."""
        payload: dict[str, Any] = {"key": key, "value": value}
        if expect is not None:
            payload["expect"] = expect
        ack = self._write("set", payload, timeout)
        self._apply_own(key, value, ack["version"], False)
        return ack

    def incr(self, key: str, by: float = 1, timeout: float | None = None) -> dict[str, Any]:
        """Add ``by`` atomically (a missing key starts at 0); the ack holds the new total."""
        ack = self._write("incr", {"key": key, "by": by}, timeout)
        self._apply_own(key, ack["value"], ack["version"], False)
        return ack

    def delete(self, key: str, timeout: float | None = None) -> dict[str, Any]:
        """Remove the key (it keeps its version); deleting an absent key is ok."""
        ack = self._write("delete", {"key": key}, timeout)
        if ack["version"]:
            self._apply_own(key, None, ack["version"], True)
        return ack

    def _write(self, event: str, fields: dict[str, Any], timeout: float | None
               ) -> dict[str, Any]:
        """Send until answered; a cut, ``unavailable`` or ``rate_limited`` resends the same op."""
        if not self._token_checked:
            self._check_token()
        payload = {"room": self.room, **fields, "op": new_id()}
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            ack = self._call(event, payload, deadline, need_joined=True)
            if not isinstance(ack, dict):
                raise error_from_ack(ack)
            if ack.get("ok"):
                return ack
            error = error_from_ack(ack)
            if error.code == "not_joined":
                self._request_join()
            elif error.code in RETRY_CODES:
                wait = max(int(ack.get("retry_after_ms") or 500), 100) / 1000
                if time.monotonic() + wait >= deadline:
                    raise error
                self._sleep(wait)
            else:
                raise error

    def _check_token(self) -> None:
        """A token given is checked once against the server (``GET /api/token``) before the
        first write: writes over Socket.IO do not need it, but a wrong one is a mistake the
        speaker should hear of at once, not when a later HTTP call fails."""
        try:
            reply = requests.get(self.url + "/api/token", timeout=self.timeout,
                                 headers={"Authorization": f"Bearer {self._token}"})
        except requests.RequestException as failure:
            raise Unavailable(f"could not check the API token at {self.url}: {failure}",
                              None) from None
        if reply.status_code in (401, 403):
            try:
                message = reply.json()["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = reply.text[:200]
            raise Forbidden(f"the server refused the API token: {message}", None)
        self._token_checked = True  # 200, or a server without the check (404)

    def _publish(self, changes: list[Change]) -> None:
        """Hand applied changes to the feed and wake ``wait`` (called with the lock held)."""
        if changes:
            self._feed.publish(changes)
            self._cond.notify_all()

    def _apply_own(self, key: str, value: Any, version: int, deleted: bool) -> None:
        with self._cond:
            self._publish(self._state.apply_write(key, value, version, deleted))

    # ---------------------------------------------------------------------------- lifetime

    def close(self) -> None:
        """Leave: disconnect, end every ``changes()`` loop, stop the threads."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            if self._gap_timer:
                self._gap_timer.cancel()
            self._cond.notify_all()
        try:
            self._sio.disconnect()
        except Exception:
            pass
        self._feed.close()
        if threading.current_thread() is not self._joiner:
            self._joiner.join(5)

    def __enter__(self) -> Room:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Room({self.url!r}, {self.room!r}, version={self.version}, joined={self.joined})"

    # ---------------------------------------------------------------------------- internals

    def _call(self, event: str, payload: dict[str, Any], deadline: float,
              need_joined: bool) -> Any:
        """Emit and wait for the ack; after a disconnect, emit the same payload again."""
        while True:
            session = self._wait_ready(event, deadline, need_joined)
            box: list[Any] = []

            def answered(*args: Any, box: list[Any] = box) -> None:
                with self._cond:
                    box.append(args[0] if args else None)
                    self._cond.notify_all()

            try:
                self._sio.emit(event, payload, namespace=NAMESPACE, callback=answered)
            except socketio.exceptions.SocketIOError:
                self._lost(session)
                continue
            answer = self._wait_answer(event, box, session, deadline)
            if answer:
                return answer[0]

    def _wait_ready(self, event: str, deadline: float, need_joined: bool) -> int:
        """Wait until joined (or connected, for a join); returns the session to send in."""
        def ready() -> bool:
            return self._closed or (self._joined if need_joined else self._connected)

        with self._cond:
            if not self._cond.wait_for(ready, max(0.0, deadline - time.monotonic())):
                raise Timeout(f"{event}: not connected to {self.url} in time")
            if self._closed:
                raise Closed("the room was closed")
            return self._session

    def _wait_answer(self, event: str, box: list[Any], session: int, deadline: float
                     ) -> list[Any]:
        """The ack in ``box``, or [] when the connection went meanwhile (send again)."""
        with self._cond:
            self._cond.wait_for(lambda: box or self._session != session or self._closed,
                                max(0.0, deadline - time.monotonic()))
            if box:
                return box
            if self._closed:
                raise Closed("the room was closed")
            if self._session == session:
                raise Timeout(f"{event}: no answer from {self.url} in time")
            return []

    def _lost(self, session: int) -> None:
        with self._cond:
            if self._session == session:
                self._session += 1
                self._connected = self._joined = False
                self._cond.notify_all()
            self._cond.wait_for(lambda: self._session != session + 1 or self._closed, 0.2)

    def _sleep(self, seconds: float) -> None:
        with self._cond:
            self._cond.wait_for(lambda: self._closed, seconds)
            if self._closed:
                raise Closed("the room was closed")

    def _on_connect(self) -> None:
        with self._cond:
            self._session += 1
            self._connected = True
            self._joined = False
            self._want_join = True
            self._held.clear()  # batches of the last connection: the join catches up on them
            self._cond.notify_all()

    def _on_disconnect(self, *reason: Any) -> None:
        with self._cond:
            self._session += 1
            self._connected = self._joined = False
            self._cond.notify_all()

    def _request_join(self) -> None:
        with self._cond:
            self._joined = False
            self._want_join = True
            self._cond.notify_all()

    def _join_loop(self) -> None:
        """Join after every connect, and rejoin with ``since`` when a batch was missed."""
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closed or (self._want_join and self._connected))
                if self._closed:
                    return
                self._want_join = False
                payload = self._state.join_payload()
                session = self._session
            try:
                ack = self._call("join", payload, time.monotonic() + self.timeout,
                                 need_joined=False)
            except (Timeout, Closed):
                with self._cond:
                    self._want_join = not self._closed
                continue
            with self._cond:
                if self._session != session:
                    continue  # reconnected meanwhile: that connect asks for its own join
                if isinstance(ack, dict) and ack.get("ok"):
                    self._publish(self._state.apply_join(ack))
                    self._joined = True
                    self._join_error = None
                    self._drain()
                elif isinstance(ack, dict) and ack.get("error", {}).get("code") in RETRY_CODES:
                    self._want_join = True
                    self._cond.wait_for(lambda: self._closed, 0.5)
                else:
                    self._join_error = error_from_ack(ack)
                self._cond.notify_all()

    def _wait_joined(self, deadline: float) -> None:
        with self._cond:
            self._cond.wait_for(lambda: self._joined or self._join_error or self._closed,
                                max(0.0, deadline - time.monotonic()))
            error = self._join_error
            joined = self._joined
        if not joined:
            self.close()
            raise error or Timeout(f"joining {self.room!r} at {self.url}: no answer in time")

    def _on_changes(self, batch: Any) -> None:
        if not isinstance(batch, dict) or batch.get("room") != self.room:
            return
        with self._cond:
            self._held.append(batch)
            if self._joined:
                self._drain()

    def _drain(self) -> None:
        """Apply held batches that follow on from the held version, in ``from`` order."""
        progress = True
        while progress and self._held:
            progress = False
            for batch in sorted(self._held, key=lambda b: b.get("from", 0)):
                status, applied = self._state.apply_batch(batch)
                if status == "gap":
                    continue
                self._held.remove(batch)
                progress = True
                if status == "epoch":
                    self._request_join()
                    return
                self._publish(applied)
        if self._held and self._gap_timer is None:
            self._gap_timer = threading.Timer(GAP_WAIT, self._gap_check)
            self._gap_timer.daemon = True
            self._gap_timer.start()

    def _gap_check(self) -> None:
        with self._cond:
            self._gap_timer = None
            if self._held and self._joined and not self._closed:
                self._request_join()
