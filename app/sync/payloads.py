"""The payload rules of the /sync contract: names, numbers, and the request records.

Plain functions with no Flask or Socket.IO imports, so every rule tests as a function call. The
socket namespace, the HTTP API and the CLI all parse through here; each parser returns a frozen
record or raises ChorusError with ``bad_request`` / ``too_large`` and a message that names the
field. What a value may be (compact JSON of at most 4 KiB) is the store's rule, in
app/state/values.py, since a store must hold it whoever writes.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from app.state.base import Write
from app.state.errors import bad_request
from app.state.values import encode_value

NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")  # rooms, client ids and op ids
KEY = re.compile(r"[A-Za-z0-9_.-]{1,64}")
MAX_BY = 1e9
MAX_NAME_CHARS = 40
MAX_EPOCH_CHARS = 128

WRITE_EVENTS = ("set", "incr", "delete")


@dataclass(frozen=True, slots=True)
class Join:
    """A ``join``: the room, and where the client's state stands if it has any."""

    room: str
    since: int | None = None
    epoch: str | None = None


def require_object(data: Any) -> dict:
    if not isinstance(data, dict):
        raise bad_request(f"payload must be an object, got {_kind(data)}")
    return data


def room_name(data: dict) -> str:
    return _name(data, "room", NAME, "1-64 of A-Z a-z 0-9 _ -")


def is_room_name(text: Any) -> bool:
    return isinstance(text, str) and NAME.fullmatch(text) is not None


def key_name(data: dict) -> str:
    return _name(data, "key", KEY, "1-64 of A-Z a-z 0-9 _ . -")


def parse_join(data: Any) -> Join:
    """Validate a ``join`` payload."""
    data = require_object(data)
    room = room_name(data)
    since = data.get("since")
    if since is not None and (not _is_int(since) or since < 0):
        raise bad_request("since must be an integer >= 0")
    epoch = data.get("epoch")
    if epoch is not None and (not isinstance(epoch, str) or len(epoch) > MAX_EPOCH_CHARS):
        raise bad_request(f"epoch must be a string of at most {MAX_EPOCH_CHARS} characters")
    return Join(room, since, epoch)


def parse_leave(data: Any) -> str:
    """Validate a ``leave`` payload; returns the room."""
    return room_name(require_object(data))


def parse_write(kind: str, data: Any, client: str) -> Write:
    """Validate a ``set``, ``incr`` or ``delete`` payload sent by ``client``."""
    data = require_object(data)
    room = room_name(data)
    key = key_name(data)
    op = data.get("op")
    if op is not None and not (isinstance(op, str) and NAME.fullmatch(op)):
        raise bad_request("op must be 1-64 of A-Z a-z 0-9 _ -")
    if kind == "set":
        if "value" not in data:
            raise bad_request("set needs a value")
        expect = data.get("expect")
        if expect is not None and (not _is_int(expect) or expect < 0):
            raise bad_request("expect must be an integer >= 0")
        value = data["value"]
        return Write(kind, room, key, client, op, value=value, value_json=encode_value(value),
                     expect=expect)
    if kind == "incr":
        return Write(kind, room, key, client, op, by=parse_by(data.get("by")))
    if kind == "delete":
        return Write(kind, room, key, client, op)
    raise bad_request(f"unknown write {kind!r}")


def parse_by(by: Any) -> int | float:
    """Check an ``incr`` amount: a finite number, not a boolean, within +-1e9."""
    if isinstance(by, bool) or not isinstance(by, (int, float)):
        raise bad_request(f"by must be a number, got {_kind(by)}")
    # abs() first: an integer too large for a float (JSON allows 1 followed by 400 zeros) has no
    # finite float value to test, and it is out of range anyway.
    if abs(by) > MAX_BY or not math.isfinite(by):
        raise bad_request("by must be a finite number within +-1e9")
    return by


def parse_auth(auth: Any) -> tuple[str | None, str | None]:
    """Validate connect ``auth``; returns (client id or None, display name or None)."""
    if auth is None:
        return None, None
    if not isinstance(auth, dict):
        raise bad_request(f"auth must be an object, got {_kind(auth)}")
    client = auth.get("client")
    if client is not None and not (isinstance(client, str) and NAME.fullmatch(client)):
        raise bad_request("auth.client must be 1-64 of A-Z a-z 0-9 _ -")
    name = auth.get("name")
    if name is not None and (not isinstance(name, str) or len(name) > MAX_NAME_CHARS):
        raise bad_request(f"auth.name must be a string of at most {MAX_NAME_CHARS} characters")
    return client, name


def _name(data: dict, field: str, pattern: re.Pattern, rule: str) -> str:
    text = data.get(field)
    if text is None:
        raise bad_request(f"{field} is missing")
    if not isinstance(text, str) or not pattern.fullmatch(text):
        raise bad_request(f"{field} must be {rule}")
    return text


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _kind(value: Any) -> str:
    """A JSON reader's name for the type of ``value``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return type(value).__name__
