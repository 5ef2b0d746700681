"""The HTML pages: the landing page and a room's board of shared controls."""

from __future__ import annotations

import secrets

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from app.board import BOARD
from app.protocol import is_room_name

bp = Blueprint("pages", __name__)

# Nginx's sticky upstream (nginx/chorus-cluster.conf) hashes this cookie, so all requests of one
# browser reach the same instance even when a whole audience shares one NAT address.
STICKY_COOKIE = "chorus_sticky"
STICKY_MAX_AGE = 30 * 24 * 3600


@bp.after_request
def stick(response):
    """Give a browser its sticky-session key on the first page it loads."""
    if STICKY_COOKIE not in request.cookies:
        response.set_cookie(STICKY_COOKIE, secrets.token_urlsafe(12), max_age=STICKY_MAX_AGE,
                            httponly=True, samesite="Lax")
    return response


@bp.get("/")
def index():
    """Create a room, open one by name, or go to the demo."""
    return render_template("index.html", error=request.args.get("error"))


@bp.post("/rooms")
def create_room():
    """Create a room named in the form (or a random one) and go to it."""
    name = (request.form.get("room") or "").strip() or "room-" + secrets.token_hex(3)
    if not is_room_name(name):
        return redirect(url_for("pages.index", error=name))
    return redirect(url_for("pages.room", room=name))


@bp.get("/open")
def open_room():
    """Go to the room named in the query (the landing page's "open" form)."""
    name = (request.args.get("room") or "").strip()
    if not is_room_name(name):
        return redirect(url_for("pages.index", error=name or "(empty)"))
    return redirect(url_for("pages.room", room=name))


@bp.get("/r/<room>")
def room(room: str):
    """A room's board; everything on it is filled in and kept live by static/chorus.js."""
    if not is_room_name(room):
        abort(404)
    return render_template("room.html", room=room, board=BOARD, join_url=join_url(room))


def join_url(room: str) -> str:
    """The address to give people for this room: CHORUS_PUBLIC_URL, else this page's host."""
    base = current_app.config["PUBLIC_URL"] or request.host_url
    return base.rstrip("/") + url_for("pages.room", room=room)
