"""The write rules of the contract as pure functions, shared by the Python backends.

Given a key's current entry and a validated write, ``plan`` decides the key's next entry or
refuses. The memory and SQLite stores call it inside their own critical section (a lock, a
``BEGIN IMMEDIATE``), so the rules live once; the Redis store states them again in Lua, where
they must run inside Redis to be atomic across processes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.state.base import Write
from app.state.errors import CONFLICT, ChorusError, bad_request, too_large
from app.state.values import MAX_SAFE_TOTAL, encode_value, is_number

# Deleted keys are kept (a deleted key keeps its version) up to this many per room; past it the
# oldest are forgotten and the room's `floor` rises, so a `since` from before them gets values.
MAX_TOMBSTONES = 1024


@dataclass(slots=True)
class Entry:
    """One key of a room: value, key version, the room version of its last change, deleted."""

    value: Any
    value_json: str
    version: int
    rversion: int = 0
    deleted: bool = False


class Conflict(ChorusError):
    """A ``set`` whose ``expect`` is not the key's version; carries the current value."""

    def __init__(self, current: Entry | None) -> None:
        value = current.value if current and not current.deleted else None
        version = current.version if current else 0
        super().__init__(CONFLICT, f"expected another version: the key is at version {version}",
                         current={"value": value, "version": version})


def plan(write: Write, current: Entry | None, live_keys: int, max_keys: int,
         key_floor: int = 0) -> Entry | None:
    """Return the key's next entry, None when nothing changes, or raise the refusal.

    ``key_floor`` is the highest version among forgotten tombstones: a key created from nothing
    continues above it, so no client ever sees a key's version go backwards.
    """
    version = current.version if current else 0
    live = current is not None and not current.deleted
    if write.kind == "delete":
        if not live:
            return None
        return Entry(None, "null", version + 1, deleted=True)
    if write.kind == "set" and write.expect is not None and write.expect != version:
        raise Conflict(current)
    if not live and live_keys >= max_keys:
        raise too_large(f"a room holds at most {max_keys} keys")
    next_version = (version if current else key_floor) + 1
    if write.kind == "set":
        return Entry(write.value, write.value_json or encode_value(write.value), next_version)
    base = current.value if live else 0
    if not is_number(base):
        raise bad_request(f"incr needs a number, and {write.key} holds something else")
    total = base + write.by
    if abs(total) > MAX_SAFE_TOTAL:
        raise bad_request("the total would leave the range of exact integers (+-2**53)")
    return Entry(total, encode_value(total), next_version)


def ack_for(write: Write, entry: Entry) -> dict[str, Any]:
    """The success ack of an applied write."""
    if write.kind == "incr":
        return {"ok": True, "value": entry.value, "version": entry.version}
    return {"ok": True, "version": entry.version}


def unchanged_ack(current: Entry | None) -> dict[str, Any]:
    """The ack of a delete that found nothing to delete: ok, at the key's current version."""
    return {"ok": True, "version": current.version if current else 0}


def change_of(key: str, entry: Entry) -> dict[str, Any]:
    """A key's entry as the contract's change record."""
    return {"key": key, "value": None if entry.deleted else entry.value,
            "version": entry.version, "deleted": entry.deleted}


def since_reaches(since: int | None, version: int, floor: int, log_size: int) -> bool:
    """Whether every change after ``since`` can still be told, rather than the full values."""
    if since is None:
        return False
    return floor <= since <= version and since >= version - log_size


def join_body(epoch: str, version: int, entries: dict[str, Entry], since: int | None,
              reaches: bool) -> dict[str, Any]:
    """Build the state part of a join ack from a room's entries."""
    body: dict[str, Any] = {"epoch": epoch, "version": version}
    if reaches:
        body["changes"] = changes_in(entries, since or 0)
    else:
        body["values"] = {key: {"value": e.value, "version": e.version}
                          for key, e in entries.items() if not e.deleted}
    return body


def changes_in(entries: dict[str, Entry], after: int) -> list[dict[str, Any]]:
    """The changes of ``entries`` after room version ``after``, in version order."""
    newer = [(e.rversion, key, e) for key, e in entries.items() if e.rversion > after]
    newer.sort(key=lambda item: item[0])
    return [change_of(key, e) for _, key, e in newer]
