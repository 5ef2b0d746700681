"""A hand-driven Socket.IO client over websocket-client: every Engine.IO and Socket.IO packet is
written by the test, so it can send what no well-behaved client library would (oversize frames,
raw JSON text, malformed packets) and stop reading whenever it likes."""

from __future__ import annotations

import json
import socket
import struct
import time
from typing import Any

import websocket
from websocket import ABNF

CLOSE_TOO_BIG = 1009


def ws_url(http_url: str) -> str:
    return http_url.replace("http://", "ws://", 1) + "/socket.io/?EIO=4&transport=websocket"


class RawSocketIO:
    """One websocket connection speaking Engine.IO v4 / Socket.IO v5 by hand."""

    def __init__(self, http_url: str, namespace: str = "/sync", rcvbuf: int | None = None,
                 timeout: float = 10.0, **options: Any) -> None:
        sockopt = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
        if rcvbuf is not None:  # set before connect: the window the server sees stays small
            sockopt.append((socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf))
        self.namespace = namespace
        self.ws = websocket.create_connection(ws_url(http_url), timeout=timeout,
                                              sockopt=tuple(sockopt), **options)
        opening = self.ws.recv()
        assert opening.startswith("0{"), opening
        self.eio_sid = json.loads(opening[1:])["sid"]
        self.next_id = 1
        self.seen: list[str] = []  # every text message read that was not asked for yet

    def connect_namespace(self, auth: Any = None) -> str:
        """Send the CONNECT packet; returns the namespace's sid from the server's answer."""
        self.send_text(f"40{self.namespace}," + (json.dumps(auth) if auth is not None else ""))
        reply = self.wait_packet(lambda text: text.startswith((f"40{self.namespace},",
                                                               f"44{self.namespace},")))
        assert reply.startswith(f"40{self.namespace},"), reply
        return json.loads(reply[len(f"40{self.namespace},"):])["sid"]

    def send_text(self, text: str) -> None:
        self.ws.send(text)

    def emit_raw(self, body: str) -> int:
        """Send ``42<namespace>,<id><body>``: ``body`` is the packet's JSON text, as is."""
        ack_id = self.next_id
        self.next_id += 1
        self.send_text(f"42{self.namespace},{ack_id}{body}")
        return ack_id

    def emit(self, event: str, payload: Any) -> int:
        return self.emit_raw(json.dumps([event, payload], ensure_ascii=False))

    def call(self, event: str, payload: Any, timeout: float = 10.0) -> Any:
        return self.ack(self.emit(event, payload), timeout)

    def ack(self, ack_id: int, timeout: float = 10.0) -> Any:
        """The argument of the ACK packet for ``ack_id`` (other packets are kept in ``seen``)."""
        prefix = f"43{self.namespace},{ack_id}["
        text = self.wait_packet(lambda t: t.startswith(prefix), timeout)
        args = json.loads(text[len(prefix) - 1:])
        assert len(args) == 1, text
        return args[0]

    def wait_packet(self, wanted, timeout: float = 10.0) -> str:
        """Read until a text message for which ``wanted`` is true; answers pings meanwhile."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no such packet in time; last seen: " + repr(self.seen[-3:]))
            self.ws.settimeout(left)
            opcode, data = self.ws.recv_data(control_frame=True)
            if opcode == ABNF.OPCODE_CLOSE:
                raise ConnectionError(f"closed by the server: {close_code(data)}")
            if opcode != ABNF.OPCODE_TEXT:
                continue
            text = data.decode("utf-8")
            if text == "2":  # Engine.IO ping
                self.send_text("3")
                continue
            if wanted(text):
                return text
            self.seen.append(text)

    def wait_close(self, timeout: float = 5.0) -> int | None:
        """Read until the server's close frame: its status code (None when it had none);
        ConnectionError subclasses (a reset) and EOF propagate to the caller."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no close frame in time")
            self.ws.settimeout(left)
            frame = self.ws.recv_frame()
            if frame.opcode == ABNF.OPCODE_CLOSE:
                return close_code(frame.data)

    def close(self) -> None:
        try:
            self.ws.close(timeout=0.2)
        except Exception:
            try:
                self.ws.shutdown()
            except Exception:
                pass


def close_code(data: bytes) -> int | None:
    return struct.unpack("!H", data[:2])[0] if len(data) >= 2 else None
