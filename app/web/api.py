"""The JSON API beside the sockets: read a room, and write to it with the /sync semantics.

Writes go through the same ``Rooms.write`` as socket events, so they are validated, versioned,
remembered by ``op`` and broadcast to every member exactly like a click. They need
``Authorization: Bearer <CHORUS_API_TOKEN>``; with no token configured they are refused (403).
Every error is ``{"ok": false, "error": {"code", "message"}}`` with a matching status.
"""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from app.state.errors import FORBIDDEN, ChorusError, bad_request
from app.sync.payloads import is_room_name
from app.web.context import services
from app.web.error_pages import error_page

bp = Blueprint("api", __name__, url_prefix="/api")

# An HTTP write is remembered under this client id; it cannot collide with a socket client's,
# whose ids never contain a colon.
HTTP_CLIENT = "http:api"


@bp.get("/rooms/<room>")
def read_room(room: str):
    """The room's snapshot: epoch, version, values with versions, members."""
    if not is_room_name(room):
        raise bad_request("room must be 1-64 of A-Z a-z 0-9 _ -")
    return jsonify(services().rooms.snapshot(room))


@bp.get("/token")
def check_token():
    """200 when the bearer token is the server's, else the write refusals (401/403): a client
    given a token checks it once, so a wrong one fails at its first write with the 403."""
    _authorize()
    return jsonify({"ok": True})


@bp.put("/rooms/<room>/values/<key>")
def set_value(room: str, key: str):
    """Set a key: body ``{"value": X, "expect": v?, "op": O?}``."""
    return _write("set", room, key)


@bp.post("/rooms/<room>/values/<key>/incr")
def incr_value(room: str, key: str):
    """Add to a number: body ``{"by": n, "op": O?}``."""
    return _write("incr", room, key)


@bp.delete("/rooms/<room>/values/<key>")
def delete_value(room: str, key: str):
    """Delete a key: body ``{"op": O?}`` or none."""
    return _write("delete", room, key)


def _write(kind: str, room: str, key: str):
    _authorize()
    body = _json_body(required=kind != "delete")
    ack = services().rooms.write(kind, {**body, "room": room, "key": key}, HTTP_CLIENT)
    status = 200 if ack.get("ok") else ChorusError(ack["error"]["code"], "").http_status
    return jsonify(ack), status


def _authorize() -> None:
    token = current_app.config["API_TOKEN"]
    if not token:
        raise ChorusError(FORBIDDEN, "HTTP writes are off: set CHORUS_API_TOKEN to allow them")
    sent = request.headers.get("Authorization", "")
    scheme, _, given = sent.partition(" ")
    if scheme.lower() != "bearer" or not given:
        raise _Unauthorized("send Authorization: Bearer <CHORUS_API_TOKEN>")
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise ChorusError(FORBIDDEN, "wrong API token")


def _json_body(required: bool) -> dict[str, Any]:
    raw = request.get_data(cache=True)
    if not raw.strip():
        if required:
            raise bad_request("send a JSON object body")
        return {}
    body = request.get_json(force=True, silent=True)
    if body is None and raw.strip() != b"null":
        raise bad_request("the body is not valid JSON")
    if not isinstance(body, dict):
        raise bad_request("the body must be a JSON object")
    return body


class _Unauthorized(ChorusError):
    """No bearer token at all: 401, with the contract's ``forbidden`` code."""

    def __init__(self, message: str) -> None:
        super().__init__(FORBIDDEN, message)

    @property
    def http_status(self) -> int:
        return 401


@bp.errorhandler(ChorusError)
def refused(error: ChorusError):
    """A refusal as the API's JSON error body, with its status."""
    response = jsonify(error.ack())
    response.status_code = error.http_status
    if error.http_status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="chorus"'
    return response


@bp.app_errorhandler(HTTPException)
def _http_error(error: HTTPException):
    """JSON for errors under /api (unknown routes included); a page in the reader's language
    elsewhere (web/error_pages.py)."""
    if request.path.startswith("/api/"):
        return json_error(error)
    return error_page(error)


def json_error(error: HTTPException):
    """An HTTP error (404, 405, 413...) as the API's JSON error body."""
    codes = {413: "too_large", 429: "rate_limited", 401: FORBIDDEN, 403: FORBIDDEN,
             503: "unavailable"}
    code = codes.get(error.code or 400, "bad_request")
    response = jsonify({"ok": False, "error": {"code": code, "message": error.description}})
    response.status_code = error.code or 400
    return response
