"""A room's board definition in and out as JSON: what a script or the presenter screen sends.

Both routes need the room's presenter token, as the deck routes do (app/web/decks.py):
``Authorization: Bearer`` under /api/rooms/<room>/, the presenter cookie under /present/<room>/.
A body that is not JSON, or not the schema of docs/audience.md ("Defined boards"), is answered
400 with the path of the first bad field (``error.path``), and nothing is changed.
"""

from __future__ import annotations

import json

from flask import Blueprint, abort, jsonify, request

from app.state.errors import BAD_REQUEST, FORBIDDEN, ChorusError
from app.sync.payloads import is_room_name
from app.web.context import services
from app.web.presenter_cookie import presented_token

bp = Blueprint("board", __name__)


@bp.get("/api/rooms/<room>/board")
@bp.get("/present/<room>/board")
def read_board(room: str):
    """The room's board: its controls (none when not defined) and the texts awaiting approval."""
    _presenter_only(room)
    boards = services().audience.boards
    return jsonify({"ok": True, "room": room, **boards.get(room),
                    "pending": boards.pending(room)})


@bp.put("/api/rooms/<room>/board")
@bp.put("/present/<room>/board")
def define_board(room: str):
    """Replace the room's board with the JSON body; keys never set get their start values."""
    _presenter_only(room)
    try:
        document = json.loads(request.get_data(as_text=True))
    except ValueError as exc:
        raise ChorusError(BAD_REQUEST, f"$: the board is not valid JSON ({exc})", path="$") \
            from None
    board = services().audience.boards.save(room, document)
    return jsonify({"ok": True, "room": room, **board})


@bp.errorhandler(ChorusError)
def _refused(error: ChorusError):
    return jsonify(error.ack()), error.http_status


def _presenter_only(room: str) -> None:
    if not is_room_name(room):
        abort(404)
    if not services().audience.presenters.verify(room, presented_token()):
        raise ChorusError(FORBIDDEN, "this needs the room's presenter token")
