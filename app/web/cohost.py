"""The co-host's moderation screen: a helper approves, hides and removes, and runs nothing else.

The presenter hands out ``/moderate/<room>#token=T`` (from the presenter screen, or
``python -m app.cli cohost-link ROOM``). As with the presenter's second-device link
(presenter_cookie.py), the token rides in the fragment, which no browser sends, and
static/enter.js trades it for a cookie (``POST /moderate/<room>/session``): HttpOnly,
SameSite=Strict, scoped to ``/moderate/<room>``. The screen's sockets join with the co-host
token and get the co-host role (app/namespaces/audience.py): moderation events only.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, render_template, request, url_for

from app.state.errors import FORBIDDEN, ChorusError
from app.sync.payloads import is_room_name
from app.web.context import services
from app.web.cookies import give_cookies
from app.web.presenter_cookie import give_token_cookie

COHOST_COOKIE = "chorus_cohost"

bp = Blueprint("cohost", __name__)
bp.after_request(give_cookies)


def cohost_link(room: str, token: str) -> str:
    """The link that makes a browser this room's co-host: the token in the fragment."""
    return url_for("cohost.moderate", room=room, _external=True) + "#token=" + token


@bp.get("/moderate/<room>")
def moderate(room: str):
    """The moderation screen, for a browser holding the room's co-host cookie; without it, the
    403 page, whose script trades a ``#token=`` fragment for the cookie."""
    _check_room(room)
    token = request.cookies.get(COHOST_COOKIE, "")
    if not services().audience.presenters.verify_cohost(room, token):
        return (render_template("forbidden.html", room=room, cohost=True), 403,
                {"Cache-Control": "no-store"})
    page = render_template("moderate.html", room=room, token=token)
    return page, {"Cache-Control": "no-store"}  # the page holds the token


@bp.post("/moderate/<room>/session")
def start_moderating(room: str):
    """Trade a co-host token (JSON ``{"token"}``) for the cookie: 204, or 403 with a JSON
    refusal."""
    _check_room(room)
    body = request.get_json(silent=True)
    token = body.get("token") if isinstance(body, dict) else None
    if not services().audience.presenters.verify_cohost(room, token):
        refusal = ChorusError(FORBIDDEN, "this is not the room's co-host link")
        return jsonify(refusal.ack()), 403
    return give_token_cookie(Response(status=204), COHOST_COOKIE, token,
                             url_for("cohost.moderate", room=room))


def _check_room(room: str) -> None:
    if not is_room_name(room):
        abort(404)
