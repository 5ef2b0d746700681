"""The failure answers of the /sync contract, as one exception type.

Every refusal, whether it comes from validation, the store or a limit, is raised as a ChorusError
and turned into the same failure ack (sockets) or JSON body (HTTP) at the edge, so the two
transports can never disagree about a code. It sits in the lowest layer of the contract's code,
beside the stores that raise most refusals (a conflict, a full room, an unreachable Redis), so
that every layer above can raise and answer it too.
"""

from __future__ import annotations

from typing import Any

BAD_REQUEST = "bad_request"
NOT_JOINED = "not_joined"
CONFLICT = "conflict"
TOO_LARGE = "too_large"
RATE_LIMITED = "rate_limited"
FORBIDDEN = "forbidden"
UNAVAILABLE = "unavailable"
NOT_FOUND = "not_found"  # HTTP only: a room an event stream cannot follow

HTTP_STATUS = {
    BAD_REQUEST: 400,
    NOT_JOINED: 409,
    CONFLICT: 409,
    TOO_LARGE: 413,
    RATE_LIMITED: 429,
    FORBIDDEN: 403,
    UNAVAILABLE: 503,
    NOT_FOUND: 404,
}


class ChorusError(Exception):
    """A refusal with a contract error code, a human message and any extra ack fields."""

    def __init__(self, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra

    def ack(self) -> dict[str, Any]:
        """The failure ack: ``{"ok": false, "error": {"code", "message"}, ...extra}``."""
        body: dict[str, Any] = {"ok": False, "error": {"code": self.code, "message": self.message}}
        body.update(self.extra)
        if "retry_after_ms" in self.extra:  # "a rate_limited error also carries": in both places
            body["error"]["retry_after_ms"] = self.extra["retry_after_ms"]
        if "path" in self.extra:  # the first bad field of a document (a deck), for the reader
            body["error"]["path"] = self.extra["path"]
        return body

    @property
    def http_status(self) -> int:
        return HTTP_STATUS.get(self.code, 400)


def bad_request(message: str) -> ChorusError:
    return ChorusError(BAD_REQUEST, message)


def too_large(message: str) -> ChorusError:
    return ChorusError(TOO_LARGE, message)


def unavailable(message: str) -> ChorusError:
    return ChorusError(UNAVAILABLE, message)
