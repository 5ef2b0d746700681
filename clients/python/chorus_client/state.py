"""One room's values by the contract's rules: snapshots, batches, the ``from`` chain, epochs.

Plain data, no sockets and no locks: ``Room`` holds its lock around every call. Each method
returns the changes it applied, so a change is reported once however often it arrives (in a
batch, in a catch-up, in a write's own ack).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_MISSING = object()


@dataclass(frozen=True)
class Change:
    """One applied change of a key; a deletion has ``deleted`` True and ``value`` None."""

    room: str
    key: str
    value: Any
    version: int
    deleted: bool = False


class RoomState:
    """Values, key versions, the room version and the epoch held for one room."""

    def __init__(self, room: str) -> None:
        self.room = room
        self.epoch: str | None = None
        self.version: int | None = None  # None until the first join answered
        self.values: dict[str, Any] = {}
        self.versions: dict[str, int] = {}  # deleted keys keep theirs

    def join_payload(self) -> dict[str, Any]:
        """What to send as ``join``: with ``since``/``epoch`` once something is held."""
        if self.version is None:
            return {"room": self.room}
        return {"room": self.room, "since": self.version, "epoch": self.epoch}

    def apply_join(self, ack: dict[str, Any]) -> list[Change]:
        """Apply a join ack: a snapshot replaces everything (another epoch too), then changes."""
        same_epoch = ack["epoch"] == self.epoch
        applied: list[Change] = []
        if "values" in ack or not same_epoch:
            applied += self._replace(ack.get("values") or {})
            self.version = ack["version"]
        self.epoch = ack["epoch"]
        applied += self._apply_entries(ack.get("changes") or [])
        self.version = max(self.version or 0, ack["version"])
        return applied

    def apply_batch(self, batch: dict[str, Any]) -> tuple[str, list[Change]]:
        """Apply a ``changes`` batch: ``("ok", applied)``, or ``("gap"|"epoch", [])`` to rejoin."""
        if batch.get("epoch") != self.epoch:
            return "epoch", []
        if self.version is None or batch["from"] > self.version:
            return "gap", []
        applied = self._apply_entries(batch["changes"])
        self.version = max(self.version, batch["version"])
        return "ok", applied

    def apply_write(self, key: str, value: Any, version: int, deleted: bool) -> list[Change]:
        """Apply what a write's own ack says, so the writer reads its write at once."""
        return self._apply_entries(
            [{"key": key, "value": value, "version": version, "deleted": deleted}])

    def _apply_entries(self, entries: list[dict[str, Any]]) -> list[Change]:
        applied = []
        for entry in entries:
            key, version = entry["key"], entry["version"]
            if version <= self.versions.get(key, 0):
                continue  # already held: coalesced, replayed or our own ack first
            self.versions[key] = version
            if entry.get("deleted"):
                self.values.pop(key, None)
                applied.append(Change(self.room, key, None, version, True))
            else:
                self.values[key] = entry["value"]
                applied.append(Change(self.room, key, entry["value"], version))
        return applied

    def _replace(self, snapshot: dict[str, dict[str, Any]]) -> list[Change]:
        applied = []
        for key in list(self.values):
            if key not in snapshot:
                applied.append(Change(self.room, key, None, self.versions.get(key, 0), True))
                del self.values[key]
        for key, entry in snapshot.items():
            if (self.versions.get(key) != entry["version"]
                    or self.values.get(key, _MISSING) != entry["value"]):
                applied.append(Change(self.room, key, entry["value"], entry["version"]))
        self.values.clear()
        self.values.update({key: entry["value"] for key, entry in snapshot.items()})
        self.versions = {key: entry["version"] for key, entry in snapshot.items()}
        return applied
