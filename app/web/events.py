"""``GET /api/rooms/<room>/events``: a room's changes as Server-Sent Events, for code that only
reads (a script, a notebook, ``curl -N``) and for pages that prefer EventSource to Socket.IO.

The stream opens with a ``snapshot`` (every value with its version, the room's epoch and
version), or, for a reconnect whose ``Last-Event-ID`` the store can still answer, a ``changes``
event holding exactly what was missed. After that it carries one ``changes`` event per batch,
the same batches the room's Socket.IO members receive (one per tick at most, one entry per
key), each with ``id: <epoch>:<version>`` so that EventSource's automatic reconnect resumes
where it stopped. A comment line every 15 s keeps proxies and NATs from closing a quiet stream.

Reads are open, like ``GET /api/rooms/<room>``. A request with an ``Origin`` header is held to
the Socket.IO rule (app/transport/origins.py): the page's own origin and CHORUS_ALLOWED_ORIGINS,
which also get CORS headers so EventSource works from them; any other origin gets 403.

Each stream is a long response on gunicorn's gevent worker: one greenlet sleeping until the
room changes (app/sync/streams.py). Nginx must not buffer it (``X-Accel-Buffering: no``, and
the location in nginx/chorus.conf).
"""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import Callable, Iterator

from flask import Blueprint, Response, current_app, request

from app.state.errors import FORBIDDEN, UNAVAILABLE, ChorusError, bad_request
from app.sync.payloads import is_room_name
from app.sync.rooms import Rooms
from app.sync.streams import HEARTBEAT, Reader
from app.transport.origins import origin_check
from app.web.api import refused
from app.web.context import services

log = logging.getLogger(__name__)

bp = Blueprint("events", __name__, url_prefix="/api")
bp.register_error_handler(ChorusError, refused)

RETRY_MS = 2000  # how long EventSource waits before reconnecting after the stream ends
_EVENT_ID = re.compile(r"([A-Za-z0-9_-]{1,64}):([0-9]{1,15})")


@bp.get("/rooms/<room>/events")
def room_events(room: str) -> Response:
    """The room's stream; see the module docstring."""
    if not is_room_name(room):
        raise bad_request("room must be 1-64 of A-Z a-z 0-9 _ -")
    cors = _cors_headers()
    if current_app.extensions["chorus.traffic"].draining:
        raise ChorusError(UNAVAILABLE, "the server is restarting; reconnect shortly")
    epoch, since = parse_event_id(request.headers.get("Last-Event-ID")
                                  or request.args.get("last_event_id"))
    rooms = services().rooms
    reader, first = rooms.watch(room, since, epoch, _abort_of(request.environ))
    heartbeat = current_app.config["STREAM_HEARTBEAT"]
    response = Response(_stream(rooms, reader, first, heartbeat), mimetype="text/event-stream")
    response.headers.update(cors)
    response.headers["Cache-Control"] = "no-cache, no-transform"
    response.headers["X-Accel-Buffering"] = "no"  # Nginx: pass each event on at once
    return response


def parse_event_id(text: str | None) -> tuple[str | None, int | None]:
    """``<epoch>:<version>`` from Last-Event-ID; anything else means "start afresh" (a
    snapshot), never an error: a browser resends whatever id it last saw."""
    match = _EVENT_ID.fullmatch((text or "").strip())
    if match is None:
        return None, None
    return match.group(1), int(match.group(2))


def _stream(rooms: Rooms, reader: Reader, first: str, heartbeat: float) -> Iterator[bytes]:
    """The response body. Every write is marked, so a reader whose client stopped reading
    can be told from one that is merely waiting (app/sync/streams.py drops the first)."""
    try:
        text: str | None = f"retry: {RETRY_MS}\n" + first
        while True:
            chunk = b": heartbeat\n\n" if text is HEARTBEAT else text.encode()
            reader.writing()
            yield chunk
            reader.written()
            text = reader.next_event(heartbeat, rooms.catch_up)
    except ConnectionAbortedError:
        return
    except ChorusError as exc:  # the store failed while catching up: the client reconnects
        log.warning("stream of room %s ended: %s", reader.room, exc.message,
                    extra={"room": reader.room, "code": exc.code})
    finally:
        rooms.unwatch(reader)


def _cors_headers() -> dict[str, str]:
    """CORS headers for an allowed Origin, none without one; 403 for any other origin."""
    origin = request.headers.get("Origin")
    if not origin:
        return {}
    allowed = origin_check(current_app.config["ALLOWED_ORIGINS"], "event stream")
    if not allowed(origin, request.environ):
        raise ChorusError(FORBIDDEN, f"origin {origin} may not read this server's streams "
                          "(CHORUS_ALLOWED_ORIGINS)")
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


def _abort_of(environ: dict) -> Callable[[], None]:
    """How to end this response's connection from another greenlet, even while a write to it
    is blocked: shut the socket down (the blocked send then fails with EPIPE, which the server
    takes as a client gone). Only Chorus's worker hands the socket over (chorus_worker.py);
    elsewhere a stopped reader is ended at its next write."""
    sock = environ.get("chorus.socket")
    if sock is None:
        return lambda: None

    def abort() -> None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed

    return abort
