"""Presenter tokens: whoever creates a room gets a secret link that runs it.

A token is made when a room is created (or, for ``demo``, at first start) and kept in the store
beside the room, so every process and every restart agrees on it. Tokens are compared in
constant time and never sent to audience clients.

A room may also have a co-host token, made the first time the presenter (or the CLI) asks for
the co-host link: it moderates (questions, open answers, words) and runs nothing else. It is
kept beside the presenter's, in its own hash, and goes with the room.
"""

from __future__ import annotations

import hmac
import secrets

from app.state.hashes import Hashes

TOKENS = "presenters"  # hash: room -> token
COHOSTS = "cohosts"  # hash: room -> co-host token


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
        self._hashes.hdel(COHOSTS, room)

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

    def cohost(self, room: str) -> str | None:
        """The room's co-host token, made now if it has none; None for an unclaimed room."""
        if self._hashes.hget(TOKENS, room) is None:
            return None
        self._hashes.hsetnx(COHOSTS, room, secrets.token_urlsafe(18))
        return self._hashes.hget(COHOSTS, room)

    def verify(self, room: str, token: object) -> bool:
        """Whether ``token`` runs ``room``; constant time whatever is wrong with it."""
        return _matches(token, self._hashes.hget(TOKENS, room))

    def verify_cohost(self, room: str, token: object) -> bool:
        """Whether ``token`` is ``room``'s co-host token (moderation only)."""
        return _matches(token, self._hashes.hget(COHOSTS, room))


def _matches(token: object, expected: str | None) -> bool:
    """Constant-time comparison, False for a missing or malformed token."""
    if not isinstance(token, str) or not token:
        return False
    expected = expected or ""
    return hmac.compare_digest(token.encode(), expected.encode()) and bool(expected)
