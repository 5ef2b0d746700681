"""Small shared structures for the audience features: hashes of strings and sets, in the store.

Polls, questions and the room pulse need exact counts across every process (a vote counted once,
an upvote once per device), but nothing as rich as the rooms' versioned values. These few calls
are each atomic in every backend, named after the Redis commands they become there where one
exists; ``vote`` and ``count_once`` change two structures together, so a tally can never drift
from the answers it counts, even when a call fails half way. The audience code (app/audience/)
builds everything from them. Backends, opened from the same URL as the
store by backends.py: memory_hashes.py, sqlite_hashes.py, redis_hashes.py.
"""

from __future__ import annotations

from abc import ABC, abstractmethod


class Hashes(ABC):
    """Named hashes (field -> string) and sets, each call atomic."""

    @abstractmethod
    def hget(self, name: str, field: str) -> str | None:
        """One field, or None."""

    @abstractmethod
    def hgetall(self, name: str) -> dict[str, str]:
        """Every field of a hash (empty when absent)."""

    @abstractmethod
    def hset(self, name: str, field: str, value: str) -> None:
        """Set one field."""

    @abstractmethod
    def hsetnx(self, name: str, field: str, value: str) -> bool:
        """Set a field only if absent; True when it was set."""


    @abstractmethod
    def hincr(self, name: str, field: str, by: int = 1) -> int:
        """Add to an integer field (absent counts as 0); returns the new value."""

    @abstractmethod
    def hdel(self, name: str, *fields: str) -> None:
        """Remove fields."""

    @abstractmethod
    def drop(self, *names: str) -> None:
        """Remove whole hashes and sets by name, in one step (an expired room's polls and
        questions)."""

    @abstractmethod
    def vote(self, answers: str, tally: str, voter: str, choice: str) -> str | None:
        """Record ``voter``'s choice and move the tally with it, in one step: the old choice
        loses one, the new one gains one. Returns the old choice (None for a first vote)."""

    @abstractmethod
    def count_once(self, voters: str, counts: str, field: str, voter: str) -> int | None:
        """Add ``voter`` to a set and, if new there, add one to ``counts[field]``, in one step.
        Returns the new count, or None when the voter had counted already."""

    def close(self) -> None:  # noqa: B027 - optional hook, not abstract
        """Release connections; the default has none."""
