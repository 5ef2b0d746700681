"""The HTML pages: the landing page and a room's board of shared controls."""

from __future__ import annotations

import ipaddress
import logging
import secrets
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from app.audience.questions import MAX_TEXT as QUESTION_MAX
from app.state.errors import FORBIDDEN, ChorusError
from app.sync.payloads import is_room_name
from app.transport.addresses import budget_key
from app.transport.origins import origin_check
from app.transport.ratelimit import RateLimited
from app.web.context import services
from app.web.cookies import give_cookies
from app.web.presenter_cookie import give_presenter_cookie, second_device_link

log = logging.getLogger(__name__)
bp = Blueprint("pages", __name__)
bp.after_request(give_cookies)


@bp.get("/")
def index():
    """Create a room, open one by name, or go to the demo."""
    return render_template("index.html", error=request.args.get("error"),
                           taken=request.args.get("taken"))


@bp.post("/rooms")
def create_room():
    """Create a room named in the form (or a random one): its creator gets the presenter cookie
    and the presenter screen, the token in no URL (presenter_cookie.py).

    Refused with 403 from a page of another site (the Origin rule of sockets: this server's own
    origin and CHORUS_ALLOWED_ORIGINS), and with 429 past the address's room budget."""
    origin = request.headers.get("Origin")
    if origin is not None and not origin_check(current_app.config["ALLOWED_ORIGINS"],
                                               "room creation")(origin, request.environ):
        refusal = ChorusError(FORBIDDEN, f"rooms are created from this site's own pages; "
                                         f"origin {origin[:100]} is not allowed")
        return jsonify(refusal.ack()), 403
    name = (request.form.get("room") or "").strip() or "room-" + secrets.token_hex(3)
    if not is_room_name(name):
        return redirect(url_for("pages.index", error=name))
    try:
        services().room_budget.take(budget_key(request.environ))
    except RateLimited as limited:
        return _too_many_rooms(limited)
    token = services().audience.presenters.claim(name)
    if token is None:
        return redirect(url_for("pages.index", taken=name))
    try:
        services().store.touch([name], create=True)  # the room exists now, and may expire
    except ChorusError as refusal:  # the store is full: the name is not kept either
        services().audience.presenters.release(name)
        return render_template("index.html", full=True), refusal.http_status
    # Once, so that a presenter who loses the link can find it again (docs/operations.md);
    # the log then holds a secret (docs/security.md).
    log.info("room %s created; presenter link (keep it secret): %s", name,
             second_device_link(name, token))
    response = redirect(url_for("audience.present", room=name, created=1), code=303)
    return give_presenter_cookie(response, name, token)


def _too_many_rooms(limited: RateLimited):
    """429 for a room budget spent: the landing page for a browser, JSON for a script."""
    refusal = ChorusError(limited.code, limited.message, retry_after_ms=limited.retry_after_ms)
    retry = {"Retry-After": str(max(1, -(-limited.retry_after_ms // 1000)))}
    if request.accept_mimetypes.accept_html:
        return render_template("index.html", limited=limited.retry_after_ms), 429, retry
    return jsonify(refusal.ack()), 429, retry


@bp.get("/open")
def open_room():
    """Go to the room named in the query (the landing page's "open" form)."""
    name = (request.args.get("room") or "").strip()
    if not is_room_name(name):
        return redirect(url_for("pages.index", error=name or "(empty)"))
    return redirect(url_for("pages.room", room=name))


@bp.get("/r/<room>")
def room(room: str):
    """A room's page; its board's controls are drawn and kept live by static/board.js, from
    the room's definition on /board and its values on /sync."""
    if not is_room_name(room):
        abort(404)
    return render_template("room.html", room=room, join_url=join_url(room),
                           question_max=QUESTION_MAX)


def join_url(room: str) -> str:
    """The address to give people for this room: CHORUS_PUBLIC_URL, else this page's host."""
    base = current_app.config["PUBLIC_URL"] or request.host_url
    return base.rstrip("/") + url_for("pages.room", room=room)


def served_port() -> str:
    """The port this request came in on, for the settings the loopback warning suggests: the
    WSGI server's own (gevent's is the bound socket's), else the Host header's."""
    return request.environ.get("SERVER_PORT") or str(urlsplit(request.host_url).port or 80)


def is_loopback(url: str) -> bool:
    """Whether phones could not reach ``url``: it names this machine's loopback address."""
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
