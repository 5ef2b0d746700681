"""A hand-driven Engine.IO long-polling session: the test writes each POST body itself, so it can
send oversize, chunked or many-packet bodies and read the answers packet by packet."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

import requests

SEPARATOR = "\x1e"  # Engine.IO v4's record separator between packets of one polling body


class RawPolling:
    """One Engine.IO polling session with the /sync namespace connected."""

    def __init__(self, base_url: str, namespace: str = "/sync",
                 headers: dict[str, str] | None = None) -> None:
        self.http = requests.Session()
        self.http.headers.update(headers or {})
        self.namespace = namespace
        opening = self.http.get(base_url + "/socket.io/?EIO=4&transport=polling", timeout=10)
        opening.raise_for_status()
        assert opening.text.startswith("0{"), opening.text
        self.sid = json.loads(opening.text[1:])["sid"]
        self.url = f"{base_url}/socket.io/?EIO=4&transport=polling&sid={self.sid}"
        self.pending: list[str] = []  # packets read and not yet asked for
        self.next_id = 1
        assert self.post(f"40{namespace},").text == "ok"
        connected = self.wait_packet(lambda p: p.startswith(f"40{namespace},"))
        self.namespace_sid = json.loads(connected[len(f"40{namespace},"):])["sid"]

    def post(self, body: str | bytes | Iterable[bytes], **kwargs: Any) -> requests.Response:
        """POST a body as given: text, bytes, or an iterable of bytes (sent chunked)."""
        if isinstance(body, str):
            body = body.encode("utf-8")
        return self.http.post(self.url, data=body, timeout=kwargs.pop("timeout", 15), **kwargs)

    def packet(self, event: str, payload: Any) -> tuple[int, str]:
        """A Socket.IO EVENT packet asking for an ack: (its ack id, its text)."""
        ack_id = self.next_id
        self.next_id += 1
        return ack_id, f"42{self.namespace},{ack_id}" + json.dumps([event, payload])

    def poll(self) -> list[str]:
        """One long-poll GET: the packets it carried (answering pings on the way)."""
        reply = self.http.get(self.url, timeout=40)
        reply.raise_for_status()
        packets = reply.text.split(SEPARATOR)
        if "2" in packets:
            self.post("3")
        return [p for p in packets if p not in ("2", "6")]

    def wait_packet(self, wanted, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            for i, text in enumerate(self.pending):
                if wanted(text):
                    return self.pending.pop(i)
            if time.monotonic() > deadline:
                raise TimeoutError(f"no such packet; pending: {self.pending[-3:]}")
            self.pending.extend(self.poll())

    def acks(self, ack_ids: Iterable[int], timeout: float = 15.0) -> dict[int, Any]:
        """The ack argument of every id in ``ack_ids``, polling until all arrived."""
        wanted = set(ack_ids)
        found: dict[int, Any] = {}
        prefix = f"43{self.namespace},"
        deadline = time.monotonic() + timeout
        while True:
            rest = []
            for text in self.pending:
                if text.startswith(prefix):
                    body = text[len(prefix):]
                    digits = len(body) - len(body.lstrip("0123456789"))
                    ack_id = int(body[:digits])
                    if ack_id in wanted:
                        args = json.loads(body[digits:])
                        assert len(args) == 1, text
                        found[ack_id] = args[0]
                        continue
                rest.append(text)
            self.pending = rest
            if len(found) == len(wanted):
                return found
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(wanted) - len(found)} acks missing of {len(wanted)}")
            self.pending.extend(self.poll())

    def call(self, event: str, payload: Any) -> Any:
        ack_id, text = self.packet(event, payload)
        assert self.post(text).text == "ok"
        return self.acks([ack_id])[ack_id]

    def close(self) -> None:
        try:
            self.post("1", timeout=2)
        except requests.RequestException:
            pass
        self.http.close()
