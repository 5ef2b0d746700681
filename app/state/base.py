"""The store interface: what every backend keeps for a room, and the calls the rest of Chorus makes.

A store owns the truth of every room: each key's value and version, the room's version, and the
ops it has already applied. Everything above it (the namespace, the HTTP API, the broadcaster)
goes through these few calls, so a backend can change without the contract changing.

Backends, chosen by the URL in CHORUS_STORE (app/state/backends.py): ``memory_store`` (one
process, lost on restart), ``sqlite_store`` (the default: one box, survives restarts),
``redis_store`` (several processes, on one box or many).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Write:
    """A validated ``set``, ``incr`` or ``delete``, carrying who sent it for op idempotency."""

    kind: str
    room: str
    key: str
    client: str
    op: str | None = None
    value: Any = None
    value_json: str | None = None  # the value as compact JSON, already size-checked
    by: int | float = 0
    expect: int | None = None


@dataclass(frozen=True, slots=True)
class Limits:
    """The bounds a store enforces; set from the config."""

    log_size: int = 1000  # room versions a `since` can reach back
    max_keys: int = 256  # live keys per room
    max_rooms: int = 10000
    op_ttl: float = 900.0  # seconds an op id is remembered


@dataclass(frozen=True, slots=True)
class Applied:
    """The answer to a write: the ack to send, and the room version it created.

    ``version`` is None when nothing changed (a conflict, a replayed op, deleting an absent key),
    so there is nothing to broadcast.
    """

    ack: dict[str, Any]
    version: int | None


@dataclass(frozen=True, slots=True)
class Batch:
    """A room's changes after room version ``start``, one per key (the latest), in version order."""

    epoch: str
    start: int
    version: int
    changes: list[dict[str, Any]]


class Store(ABC):
    """Room state behind one interface; each backend says in its docstring where it may be used."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()

    @abstractmethod
    def join_state(self, room: str, since: int | None = None,
                   epoch: str | None = None) -> dict[str, Any]:
        """The state part of a ``join`` ack: epoch, version, and ``values`` or ``changes``.

        ``changes`` (what happened after ``since``) where the store can still say it in the
        same epoch; the full ``values`` otherwise.
        """

    @abstractmethod
    def changes_after(self, room: str, version: int) -> Batch:
        """Every change after room version ``version``; the broadcaster builds batches from it."""

    @abstractmethod
    def apply(self, write: Write) -> Applied:
        """Apply one write atomically, or replay the ack of an op seen before.

        Raises ChorusError for refusals that are not remembered (too_large, bad_request,
        unavailable); a conflict is an answer, returned (and remembered) like a success.
        """

    @abstractmethod
    def touch(self, rooms: Iterable[str], create: bool = False) -> None:
        """Mark ``rooms`` active now: rooms with connections, by the expiry sweep
        (app/audience/expiry.py). A room the store does not hold is left alone, unless
        ``create``: then it is made, empty (a room claimed on the landing page), within
        ``max_rooms`` (too_large past it). Every write marks its room active by itself."""

    @abstractmethod
    def activity(self) -> dict[str, float]:
        """Every room the store holds, with its last activity (seconds since 1970, the
        backend's clock)."""

    @abstractmethod
    def remove(self, room: str, idle_since: float | None = None) -> bool:
        """Remove a room, its values and its history, freeing its place under ``max_rooms``;
        with ``idle_since``, only if it has not been active after that time (checked in the
        same atomic step, so a write racing the sweep keeps its room). True when removed."""

    @abstractmethod
    def check(self) -> None:
        """Raise ChorusError(unavailable) when the store cannot be reached."""

    @property
    @abstractmethod
    def epoch(self) -> str:
        """The id of this store's history; changes only when that history was lost."""

    def close(self) -> None:  # noqa: B027 - optional hook, not abstract
        """Release connections; the default has none."""
