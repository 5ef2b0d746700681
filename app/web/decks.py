"""The presenter's files: a room's deck in and out as JSON, and the Q&A and quiz exports.

Every route needs the room's presenter token, as the poll exports do (app/web/audience.py):
``Authorization: Bearer`` under /api/rooms/<room>/, the presenter cookie under the same paths
below /present/<room>/ (app/web/presenter_cookie.py); never in a query string. A deck that is
not JSON, or not the schema of docs/audience.md, is answered 400 with the path of the first bad
field, and nothing is kept.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, jsonify, request

from app.state.errors import BAD_REQUEST, FORBIDDEN, NOT_FOUND, ChorusError
from app.sync.payloads import is_room_name
from app.web.context import services
from app.web.presenter_cookie import presented_token

bp = Blueprint("decks", __name__)
FORMATS = {"csv": "text/csv", "json": "application/json"}
# Above the API's 64 KiB: a deck at every limit (50 questions of 200 characters with 8 options
# of 80) is about 42,000 characters, 510 KB even when a tool writes each as a \uXXXX\uXXXX
# pair; below the 1,000,000 bytes Nginx lets through (client_max_body_size).
MAX_DECK_BYTES = 768 * 1024


@bp.get("/api/rooms/<room>/deck")
@bp.get("/present/<room>/deck")
def export_deck(room: str):
    """The room's deck as a JSON file, to keep beside the talk."""
    _presenter_only(room)
    body = json.dumps(services().audience.decks.get(room), indent=2, ensure_ascii=False)
    return _download(body, "application/json", f"{room}-deck.json")


@bp.put("/api/rooms/<room>/deck")
@bp.put("/present/<room>/deck")
def import_deck(room: str):
    """Replace the room's deck with the JSON body; "next" then starts from its first item."""
    _presenter_only(room)
    request.max_content_length = MAX_DECK_BYTES
    try:
        document = json.loads(request.get_data(as_text=True))
    except ValueError as exc:
        raise ChorusError(BAD_REQUEST, f"$: the deck is not valid JSON ({exc})", path="$") \
            from None
    audience = services().audience
    deck = audience.decks.save(room, document)
    audience.poll_feed.changed(room)
    return jsonify({"ok": True, "room": room, "deck": deck})


@bp.get("/api/rooms/<room>/questions.<fmt>")
@bp.get("/present/<room>/questions.<fmt>")
def export_questions(room: str, fmt: str):
    """Every question of the room (hidden ones too), with votes and state, as CSV or JSON."""
    _presenter_only(room, fmt)
    body = services().audience.questions.export(room, fmt)
    return _download(body, FORMATS[fmt], f"{room}-questions.{fmt}")


@bp.get("/api/rooms/<room>/quiz.<fmt>")
@bp.get("/present/<room>/quiz.<fmt>")
def export_quiz(room: str, fmt: str):
    """The quiz so far: each question's tally and right answers, then every player's points."""
    _presenter_only(room, fmt)
    polls = services().audience.polls
    asked = [poll for poll in polls.every(room) if poll["kind"] == "quiz"]
    body = polls.quiz.export(room, asked, fmt)
    return _download(body, FORMATS[fmt], f"{room}-quiz.{fmt}")


@bp.errorhandler(ChorusError)
def _refused(error: ChorusError):
    return jsonify(error.ack()), error.http_status


def _presenter_only(room: str, fmt: str = "json") -> None:
    if not is_room_name(room) or fmt not in FORMATS:
        abort(404)
    if not services().audience.presenters.claimed(room):  # a 404 with the JSON refusal body
        raise ChorusError(NOT_FOUND, f"there is no room {room}")
    if not services().audience.presenters.verify(room, presented_token()):
        raise ChorusError(FORBIDDEN, "this needs the room's presenter token")


def _download(body: str, mimetype: str, filename: str) -> Response:
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
