"""Long-polling POSTs: how many packets one may carry, and how many bytes, checked before
Engine.IO reads it.

Packets. python-engineio decodes a POST with ``Payload``, whose class attribute
``max_decode_packets`` defaults to 16: a POST carrying a 17th packet is dropped whole, while the
client is told 200. A browser that queued 100 clicks while its poll was in flight sends them in
one POST, so ``allow_full_polling_posts`` raises the cap to what ``maxPayload`` allows (a packet
is at least one byte and a separator). python-socketio's client reads polls with the same class,
so tests that poll raise it on their side too.

Bytes. Engine.IO checks a POST's Content-Length against ``maxPayload`` but then leaves the body
unread, and gevent's server reads (discards) all of it before answering: a client sending 20 MiB
holds the answer until the last byte arrived, or forever if it stops. A chunked POST has no
Content-Length, so Engine.IO reads it as empty and answers 200: its packets are silently lost.
``PollingBodyLimit`` reads at most cap + 1 bytes of any POST to the Socket.IO path, answers 413
with a JSON body at once when there is more, and hands Engine.IO a body it can read whole
otherwise.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterable

import gevent
from engineio.payload import Payload

log = logging.getLogger(__name__)

LINGER_SECONDS = 1.0  # after a refusal, how long the rest of an oversize upload is read away


def allow_full_polling_posts(max_payload: int) -> None:
    """Let a POST within ``max_payload`` bytes carry as many packets as fit in it (process-wide,
    set by create_app before the first request)."""
    Payload.max_decode_packets = max(Payload.max_decode_packets, max_payload // 2 + 1)


class PollingBodyLimit:
    """WSGI middleware: POSTs under ``path`` of more than ``cap`` bytes get 413."""

    def __init__(self, app: Callable, cap: int, path: str = "/socket.io/") -> None:
        self.app = app
        self.cap = cap
        self.path = path

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST" or \
                not environ.get("PATH_INFO", "").startswith(self.path):
            return self.app(environ, start_response)
        length_text = environ.get("CONTENT_LENGTH") or ""
        if length_text:
            try:
                length = int(length_text)
            except ValueError:
                return self._refuse(environ, start_response, "400 Bad Request", "bad_request",
                                    f"Content-Length {length_text[:40]!r} is not a number")
            if length > self.cap:
                return self._too_large(environ, start_response, f"{length} bytes")
            return self.app(environ, start_response)
        if environ.get("HTTP_TRANSFER_ENCODING", "").lower() != "chunked" or \
                not environ.get("wsgi.input_terminated"):
            # No body framing the server can end (no length, not chunked): nothing to read.
            return self.app(environ, start_response)
        # Chunked: read what the cap allows, and one byte more to tell.
        body = environ["wsgi.input"].read(self.cap + 1)
        if len(body) > self.cap:
            return self._too_large(environ, start_response, "a chunked body")
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return self.app(environ, start_response)

    def _too_large(self, environ: dict, start_response: Callable, size: str) -> Iterable[bytes]:
        return self._refuse(environ, start_response, "413 Content Too Large", "too_large",
                            f"a polling POST carries at most {self.cap} bytes (maxPayload); "
                            f"this one has {size}")

    def _refuse(self, environ: dict, start_response: Callable, status: str, code: str,
                message: str) -> Iterable[bytes]:
        log.warning("polling POST refused (%s) from %s: %s", status[:3],
                    environ.get("REMOTE_ADDR", "?"), message)
        body = json.dumps({"ok": False, "error": {"code": code, "message": message}}).encode()
        start_response(status, [("Content-Type", "application/json"),
                                ("Content-Length", str(len(body))), ("Connection", "close")])
        return _AnswerThenLinger(body, environ.get("wsgi.input"))


class _AnswerThenLinger:
    """The refusal's body; once it is sent, the rest of the upload is read away for at most
    LINGER_SECONDS (a client still sending while the socket closes would get a reset instead of
    the answer), then dropped, the connection closing either way."""

    def __init__(self, body: bytes, stream) -> None:
        self.body = body
        self.stream = stream

    def __iter__(self):
        yield self.body

    def close(self) -> None:
        if self.stream is None:
            return
        if hasattr(self.stream, "send_100_continue_enabled"):
            self.stream.send_100_continue_enabled = False  # the answer was a 413, not 100
        try:
            with gevent.Timeout(LINGER_SECONDS, False):
                while self.stream.read(65536):
                    pass
        except (OSError, ValueError):
            pass
        finally:
            # gevent's server would otherwise read the whole remaining body after the response.
            # Its input object exposes this flag for "state unknown, do not read on".
            if hasattr(self.stream, "_chunked_input_error"):
                self.stream._chunked_input_error = True
