"""A plain-HTTP reader of a room's Server-Sent Events stream, as a script or curl would read it:
requests' streaming response, parsed by the text/event-stream rules, events handed over on a
queue by a background thread so a test waits on them with a deadline."""

from __future__ import annotations

import json
import queue
import threading
from dataclasses import dataclass
from typing import Any

import requests


@dataclass
class Event:
    kind: str
    id: str | None
    data: dict[str, Any]


class EventReader:
    """One open stream; ``next()`` returns its next event (comments are counted, not queued)."""

    def __init__(self, url: str, room: str, last_event_id: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        sent = dict(headers or {})
        if last_event_id is not None:
            sent["Last-Event-ID"] = last_event_id
        self.response = requests.get(f"{url}/api/rooms/{room}/events", headers=sent,
                                     stream=True, timeout=(5, 60))
        self.events: queue.Queue[Event | BaseException | None] = queue.Queue()
        self.comments = 0
        self.retry: int | None = None
        if self.response.status_code == 200:
            threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        kind, event_id, data = "message", None, []
        try:
            for raw in self.response.iter_lines(chunk_size=1, decode_unicode=True):
                line = raw if isinstance(raw, str) else raw.decode()
                if line == "":
                    if data:
                        self.events.put(Event(kind, event_id, json.loads("\n".join(data))))
                    kind, data = "message", []
                elif line.startswith(":"):
                    self.comments += 1
                else:
                    field, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if field == "event":
                        kind = value
                    elif field == "id":
                        event_id = value
                    elif field == "data":
                        data.append(value)
                    elif field == "retry":
                        self.retry = int(value)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            self.events.put(exc)
            return
        self.events.put(None)  # the stream ended

    def next(self, timeout: float = 10.0) -> Event:
        item = self.events.get(timeout=timeout)
        if item is None:
            raise EOFError("the stream ended")
        if isinstance(item, BaseException):
            raise item
        return item

    def close(self) -> None:
        self.response.close()
