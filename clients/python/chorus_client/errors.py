"""The contract's refusals as exceptions: one class per error code, each with code and message.

A failure ack ``{"ok": false, "error": {"code", "message"}}`` becomes the class of its code, so
callers catch ``Conflict`` or ``RateLimited`` rather than compare strings; the ack itself stays
in ``.ack``.
"""

from __future__ import annotations

from typing import Any


class ChorusError(Exception):
    """A refusal or failure, with the contract's ``code`` and a human ``message``."""

    code = "error"

    def __init__(self, message: str, ack: dict[str, Any] | None = None,
                 code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.ack = ack or {}
        if code:
            self.code = code

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class BadRequest(ChorusError):
    """The payload broke a rule: a bad name, a non-number ``by``, ``incr`` on text."""

    code = "bad_request"


class NotJoined(ChorusError):
    """The connection was not in the room (the client rejoins and resends on its own)."""

    code = "not_joined"


class Conflict(ChorusError):
    """A ``set`` whose ``expect`` was not the key's version; ``current`` is what the key holds."""

    code = "conflict"

    @property
    def current(self) -> dict[str, Any] | None:
        return self.ack.get("current")


class TooLarge(ChorusError):
    """A value over 4 KiB, a 257th key, too many rooms."""

    code = "too_large"


class RateLimited(ChorusError):
    """Past the connection's event budget; ``retry_after_ms`` says how long to wait."""

    code = "rate_limited"

    @property
    def retry_after_ms(self) -> int:
        return int(self.ack.get("retry_after_ms")
                   or self.ack.get("error", {}).get("retry_after_ms") or 500)


class Forbidden(ChorusError):
    """HTTP 403 (401 without a token): the API token is missing or not the server's."""

    code = "forbidden"

    def __str__(self) -> str:
        return f"forbidden (HTTP 403): {self.message}"


class Unavailable(ChorusError):
    """The server could not apply the write now (store down, restarting); it was not applied."""

    code = "unavailable"


class Timeout(ChorusError, TimeoutError):
    """No answer in time: not connected, or the server did not acknowledge."""

    code = "timeout"


class ConnectionFailed(ChorusError, ConnectionError):
    """The first connection to the server could not be made or was refused."""

    code = "connection_failed"


class Closed(ChorusError):
    """The room was closed with ``close()``; nothing more is sent or received."""

    code = "closed"


BY_CODE: dict[str, type[ChorusError]] = {
    cls.code: cls for cls in (BadRequest, NotJoined, Conflict, TooLarge, RateLimited, Forbidden,
                              Unavailable)
}


def error_from_ack(ack: Any) -> ChorusError:
    """The exception a failure ack stands for (``ChorusError`` for a code it does not know)."""
    if not isinstance(ack, dict) or not isinstance(ack.get("error"), dict):
        return ChorusError(f"malformed answer from the server: {ack!r}", None, "bad_answer")
    error = ack["error"]
    code = str(error.get("code", "error"))
    message = str(error.get("message", ""))
    cls = BY_CODE.get(code)
    return cls(message, ack) if cls else ChorusError(message, ack, code)
