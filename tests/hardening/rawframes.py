"""A websocket client over a bare TCP socket: the handshake and every frame are built by hand, so a
test can send what no websocket library would (unmasked frames, reserved bits and opcodes,
fragmented control frames, invalid close codes) and see exactly what the server answers."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import struct
import time
from urllib.parse import urlsplit

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, BINARY, CONT, CLOSE, PING, PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA


def frame(opcode: int, payload: bytes = b"", fin: bool = True, masked: bool = True,
          rsv: int = 0) -> bytes:
    """One client frame (RFC 6455 5.2): ``rsv`` is the three reserved bits, 0-7."""
    first = (0x80 if fin else 0) | (rsv & 7) << 4 | opcode & 0x0F
    length = len(payload)
    mask_bit = 0x80 if masked else 0
    if length < 126:
        head = struct.pack("!BB", first, mask_bit | length)
    elif length < 1 << 16:
        head = struct.pack("!BBH", first, mask_bit | 126, length)
    else:
        head = struct.pack("!BBQ", first, mask_bit | 127, length)
    if not masked:
        return head + payload
    key = os.urandom(4)
    body = bytes(b ^ key[i % 4] for i, b in enumerate(payload)) if length < 4096 else \
        (int.from_bytes(payload, "big") ^ int.from_bytes((key * (length // 4 + 1))[:length],
                                                         "big")).to_bytes(length, "big")
    return head + key + body


def close_payload(code: int, reason: bytes = b"") -> bytes:
    return struct.pack("!H", code) + reason


class RawWebSocket:
    """One Engine.IO websocket connection (``/socket.io/?EIO=4&transport=websocket``)."""

    def __init__(self, http_url: str, timeout: float = 10.0) -> None:
        parts = urlsplit(http_url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((
            "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
            f"Host: {parts.netloc}\r\nOrigin: {http_url}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self._fill(time.monotonic() + timeout)
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101"), head
        accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        assert f"\r\nsec-websocket-accept: {accept.lower()}".encode() in head.lower(), head
        opcode, opening = self.read_frame()
        assert opcode == TEXT and opening.startswith(b"0{"), opening
        self.eio_sid = json.loads(opening[1:])["sid"]

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send_text(self, text: str) -> None:
        self.sock.sendall(frame(TEXT, text.encode()))

    def _fill(self, deadline: float) -> None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("nothing from the server in time")
        self.sock.settimeout(left)
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("the server closed the connection")
        self.buffer += chunk

    def _take(self, count: int, deadline: float) -> bytes:
        while len(self.buffer) < count:
            self._fill(deadline)
        taken, self.buffer = self.buffer[:count], self.buffer[count:]
        return taken

    def read_frame(self, timeout: float = 10.0) -> tuple[int, bytes]:
        """The next server frame (unmasked, unfragmented): its opcode and payload."""
        deadline = time.monotonic() + timeout
        first, second = self._take(2, deadline)
        length = second & 0x7F
        if length == 126:
            length = struct.unpack("!H", self._take(2, deadline))[0]
        elif length == 127:
            length = struct.unpack("!Q", self._take(8, deadline))[0]
        assert not second & 0x80, "the server masked a frame"
        return first & 0x0F, self._take(length, deadline)

    def read_text(self, wanted, timeout: float = 10.0) -> str:
        """Read until a text message for which ``wanted`` is true; answers Engine.IO pings."""
        deadline = time.monotonic() + timeout
        while True:
            opcode, payload = self.read_frame(max(deadline - time.monotonic(), 0.001))
            if opcode == CLOSE:
                raise ConnectionError(f"closed by the server: {payload!r}")
            if opcode != TEXT:
                continue
            text = payload.decode("utf-8")
            if text == "2":
                self.send_text("3")
            elif wanted(text):
                return text

    def read_close(self, timeout: float = 10.0) -> tuple[int | None, bytes]:
        """Read until the server's close frame: its status code (None when empty) and reason."""
        deadline = time.monotonic() + timeout
        while True:
            opcode, payload = self.read_frame(max(deadline - time.monotonic(), 0.001))
            if opcode == CLOSE:
                if len(payload) < 2:
                    return None, payload
                return struct.unpack("!H", payload[:2])[0], payload[2:]

    def closed_by_server(self, timeout: float = 10.0) -> bool:
        """Whether the server ends the TCP connection (EOF or reset) within ``timeout``,
        reading and dropping whatever else it sends meanwhile."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.sock.settimeout(left)
            try:
                if not self.sock.recv(65536):
                    return True
            except ConnectionResetError:
                return True
            except TimeoutError:
                return False

    def close(self) -> None:
        self.sock.close()
