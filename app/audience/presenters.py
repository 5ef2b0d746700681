"""Presenter tokens: whoever creates a room gets a secret link that runs it.

A token is made when a room is created (or, for ``demo``, at first start) and kept in the store
beside the room, so every process and every restart agrees on it. Tokens are compared in
constant time and never sent to audience clients.
"""

from __future__ import annotations

import hmac
import secrets

from app.state.hashes import Hashes

TOKENS = "presenters"  # hash: room -> token


class Presenters:
    """Claim a room with a new token; check a token."""

    def __init__(self, hashes: Hashes) -> None:
        self._hashes = hashes

    def claim(self, room: str) -> str | None:
        """Make ``room``'s token if it has none yet; returns it, or None if already claimed."""
        token = secrets.token_urlsafe(18)
        return token if self._hashes.hsetnx(TOKENS, room, token) else None

    def release(self, room: str) -> None:
        """Forget ``room``'s token: the name may be claimed again (an expired room, or a claim
        the store had no room for)."""
        self._hashes.hdel(TOKENS, room)

    def rooms(self) -> list[str]:
        """Every claimed room."""
        return list(self._hashes.hgetall(TOKENS))

    def claimed(self, room: str) -> bool:
        """Whether ``room`` exists as a presented room (an export of any other is a 404)."""
        return self._hashes.hget(TOKENS, room) is not None

    def token(self, room: str) -> str | None:
        """The room's token (for the log line of the demo room only)."""
        return self._hashes.hget(TOKENS, room)

    def ensure(self, room: str) -> str:
        """The room's token, made now if it has none."""
        return self.claim(room) or self._hashes.hget(TOKENS, room) or ""

    def verify(self, room: str, token: object) -> bool:
        """Whether ``token`` runs ``room``; constant time whatever is wrong with it."""
        if not isinstance(token, str) or not token:
            return False
        expected = self._hashes.hget(TOKENS, room) or ""
        return hmac.compare_digest(token.encode(), expected.encode()) and bool(expected)
