"""The HTML pages: the landing page and a room's board of shared controls."""

from __future__ import annotations

import ipaddress
import secrets
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from app.sync.board import BOARD
from app.sync.payloads import is_room_name
from app.web.context import services
from app.web.cookies import give_cookies

bp = Blueprint("pages", __name__)
bp.after_request(give_cookies)


@bp.get("/")
def index():
    """Create a room, open one by name, or go to the demo."""
    return render_template("index.html", error=request.args.get("error"),
                           taken=request.args.get("taken"))


@bp.post("/rooms")
def create_room():
    """Create a room named in the form (or a random one); its creator gets the presenter link."""
    name = (request.form.get("room") or "").strip() or "room-" + secrets.token_hex(3)
    if not is_room_name(name):
        return redirect(url_for("pages.index", error=name))
    token = services().audience.presenters.claim(name)
    if token is None:
        return redirect(url_for("pages.index", taken=name))
    return redirect(url_for("audience.present", room=name, token=token, created=1))


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


def is_loopback(url: str) -> bool:
    """Whether phones could not reach ``url``: it names this machine's loopback address."""
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
