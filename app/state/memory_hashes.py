"""Hashes and sets in memory: one process only, gone on restart (like memory_store)."""

from __future__ import annotations

import threading

from app.state.hashes import Hashes


class MemoryHashes(Hashes):
    """Dicts and sets behind a lock (no I/O inside it, so no greenlet switch either)."""

    def __init__(self) -> None:
        self._hashes: dict[str, dict[str, str]] = {}
        self._sets: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def hget(self, name: str, field: str) -> str | None:
        with self._lock:
            return self._hashes.get(name, {}).get(field)

    def hgetall(self, name: str) -> dict[str, str]:
        with self._lock:
            return dict(self._hashes.get(name, {}))

    def hset(self, name: str, field: str, value: str) -> None:
        with self._lock:
            self._hashes.setdefault(name, {})[field] = value

    def hsetnx(self, name: str, field: str, value: str) -> bool:
        with self._lock:
            fields = self._hashes.setdefault(name, {})
            if field in fields:
                return False
            fields[field] = value
            return True

    def vote(self, answers: str, tally: str, voter: str, choice: str) -> str | None:
        with self._lock:
            held = self._hashes.setdefault(answers, {})
            counts = self._hashes.setdefault(tally, {})
            old = held.get(voter)
            held[voter] = choice
            if old is not None:
                counts[old] = str(int(counts.get(old, "0")) - 1)
            counts[choice] = str(int(counts.get(choice, "0")) + 1)
            return old

    def hincr(self, name: str, field: str, by: int = 1) -> int:
        with self._lock:
            fields = self._hashes.setdefault(name, {})
            total = int(fields.get(field, "0")) + by
            fields[field] = str(total)
            return total

    def hdel(self, name: str, *fields: str) -> None:
        with self._lock:
            held = self._hashes.get(name, {})
            for field in fields:
                held.pop(field, None)

    def drop(self, *names: str) -> None:
        with self._lock:
            for name in names:
                self._hashes.pop(name, None)
                self._sets.pop(name, None)

    def count_once(self, voters: str, counts: str, field: str, voter: str) -> int | None:
        with self._lock:
            members = self._sets.setdefault(voters, set())
            if voter in members:
                return None
            members.add(voter)
            fields = self._hashes.setdefault(counts, {})
            total = int(fields.get(field, "0")) + 1
            fields[field] = str(total)
            return total
