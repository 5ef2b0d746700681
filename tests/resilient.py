"""A python client that behaves like static/chorus.js: it reconnects by itself, rejoins with
``since`` and ``epoch``, applies changes by version, and retries each write with its op id until
the server answers. Cluster tests use it to see whether clients converge after failures."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import requests
import socketio


class ResilientClient:
    """One room, kept in step across reconnects; ``write`` returns the server's final answer."""

    def __init__(self, url: str, room: str, transport: str = "websocket",
                 client: str | None = None, sticky: str | None = None) -> None:
        self.url = url
        self.room = room
        self.transport = transport
        self.client = client or "rc-" + uuid.uuid4().hex[:10]
        self.http = requests.Session()
        if sticky:
            # In the session's jar, so every poll carries it (python-engineio sends extra
            # headers with the first request only), as a browser's cookie would be.
            self.http.cookies.set("chorus_sticky", sticky)
        self.sio = socketio.Client(reconnection=True, reconnection_delay=0.2,
                                   reconnection_delay_max=1.0, http_session=self.http)
        self.lock = threading.Condition()
        self.state: dict[str, tuple[int, Any]] = {}
        self.version = 0
        self.epoch: str | None = None
        self.members = 0
        self.joined = False
        self.joins = 0
        self.sio.on("connect", self._on_connect, namespace="/sync")
        self.sio.on("disconnect", self._on_disconnect, namespace="/sync")
        self.sio.on("changes", self._on_batch, namespace="/sync")
        self.sio.on("presence", self._on_presence, namespace="/sync")

    def start(self) -> ResilientClient:
        self.sio.connect(self.url, namespaces=["/sync"], transports=[self.transport],
                         auth={"client": self.client}, wait_timeout=10)
        self.wait(lambda: self.joined, what="the first join")
        return self

    def close(self) -> None:
        try:
            self.sio.disconnect()
        except Exception:
            pass
        self.http.close()

    # -- the reading side -------------------------------------------------------------------

    def _on_connect(self) -> None:
        self._join()

    def _on_disconnect(self, *args) -> None:
        with self.lock:
            self.joined = False

    def _join(self) -> None:
        payload: dict[str, Any] = {"room": self.room}
        if self.epoch:
            payload.update(since=self.version, epoch=self.epoch)
        try:
            self.sio.emit("join", payload, namespace="/sync", callback=self._on_join)
        except Exception:
            pass  # disconnected again; the next connect joins

    def _on_join(self, ack: dict) -> None:
        if not ack.get("ok"):
            threading.Timer(0.3, self._join).start()
            return
        with self.lock:
            if ack["epoch"] != self.epoch or "values" in ack:
                self.epoch = ack["epoch"]
                self.state = {k: (v["version"], v["value"]) for k, v in ack["values"].items()}
                self.version = ack["version"]
            for change in ack.get("changes", []):
                self._apply(change)
            self.version = max(self.version, ack["version"])
            self.members = ack["members"]
            self.joined = True
            self.joins += 1
            self.lock.notify_all()

    def _on_batch(self, batch: dict) -> None:
        with self.lock:
            if not self.joined or batch["room"] != self.room:
                return  # the join ack brings it
            if batch["epoch"] != self.epoch or batch["from"] > self.version:
                self.joined = False
                gap = True
            else:
                gap = False
                for change in batch["changes"]:
                    self._apply(change)
                self.version = max(self.version, batch["version"])
                self.lock.notify_all()
        if gap:
            self._join()

    def _on_presence(self, data: dict) -> None:
        with self.lock:
            self.members = data["members"]
            self.lock.notify_all()

    def _apply(self, change: dict) -> None:
        held = self.state.get(change["key"])
        if held is None or held[0] < change["version"]:
            self.state[change["key"]] = (change["version"],
                                         None if change["deleted"] else change["value"])

    def value(self, key: str) -> Any:
        with self.lock:
            held = self.state.get(key)
            return held[1] if held else None

    def wait(self, predicate, timeout: float = 30.0, what: str = "a condition") -> None:
        deadline = time.monotonic() + timeout
        with self.lock:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{self.client}: timed out waiting for {what}")
                self.lock.wait(min(left, 0.5))

    # -- the writing side -------------------------------------------------------------------

    def write(self, event: str, payload: dict, timeout: float = 60.0,
              retry_unavailable: bool = True) -> dict:
        """Send until answered (the same op each time, as the browser's outbox does)."""
        payload = {"room": self.room, **payload, "op": uuid.uuid4().hex}
        started = time.monotonic()
        deadline = started + timeout
        tries: list[str] = []  # what each attempt met, for the message if none is answered
        while time.monotonic() < deadline:
            at = f"{time.monotonic() - started:.1f}s"
            try:
                self.wait(lambda: self.joined, timeout=max(deadline - time.monotonic(), 0.1),
                          what="a join before writing")
                ack = self.sio.call(event, payload, namespace="/sync", timeout=3)
            except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError,
                    socketio.exceptions.DisconnectedError, AssertionError) as exc:
                tries.append(f"{at} {type(exc).__name__}")
                continue
            code = None if ack.get("ok") else ack["error"]["code"]
            if code in ("unavailable", "not_joined") and retry_unavailable:
                tries.append(f"{at} {code}")
                time.sleep(0.2)
                continue
            return ack
        with self.lock:
            state = f"joined={self.joined} connected={self.sio.connected} joins={self.joins}"
        raise AssertionError(f"{self.client}: {event} not answered within {timeout} s "
                             f"({state}; attempts: {', '.join(tries[-12:])})")
