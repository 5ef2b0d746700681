"""Audience-mode pages: the presenter screen, the read-only display, the QR code, and exports."""

from __future__ import annotations

import socket

import qrcode
from flask import Blueprint, Response, abort, jsonify, render_template, request
from qrcode.image.svg import SvgPathImage

from app.state.errors import FORBIDDEN, NOT_FOUND, ChorusError
from app.sync.payloads import is_room_name
from app.web.cohost import cohost_link
from app.web.context import services
from app.web.cookies import give_cookies
from app.web.pages import is_loopback, join_url, served_port
from app.web.presenter_cookie import (
    give_presenter_cookie,
    presented_token,
    presenter_token,
    second_device_link,
)

bp = Blueprint("audience", __name__)
bp.after_request(give_cookies)


@bp.get("/present/<room>")
def present(room: str):
    """The presenter screen, for a browser holding the room's presenter cookie; without it, the
    403 page, whose script trades a ``#token=`` fragment for the cookie (presenter_cookie.py)."""
    _check_room(room)
    token = presenter_token()
    if not services().audience.presenters.verify(room, token):
        return _forbidden(room)
    url = join_url(room)
    page = render_template("present.html", room=room, token=token, join_url=url,
                           loopback=is_loopback(url), lan_address=lan_address(),
                           port=served_port(),
                           created=bool(request.args.get("created")),
                           presenter_url=second_device_link(room, token),
                           cohost_url=cohost_link(room, services().audience.presenters
                                                  .cohost(room) or ""))
    # The page holds the token (its sockets join with it): kept out of every cache.
    return page, {"Cache-Control": "no-store"}


@bp.post("/present/<room>/session")
def start_presenting(room: str):
    """Trade a token (JSON ``{"token"}``, from a second device's link) for the cookie: 204, or
    403 with a JSON refusal for a wrong one."""
    _check_room(room)
    body = request.get_json(silent=True)
    token = body.get("token") if isinstance(body, dict) else None
    if not services().audience.presenters.verify(room, token):
        refusal = ChorusError(FORBIDDEN, "this is not the room's presenter link")
        return jsonify(refusal.ack()), 403
    return give_presenter_cookie(Response(status=204), room, token)


@bp.get("/display/<room>")
def display(room: str):
    """The same screen without controls or token: for a second screen or a video stream."""
    _check_room(room)
    url = join_url(room)
    return render_template("present.html", room=room, token=None, join_url=url,
                           loopback=False, lan_address=None, created=False,
                           presenter_url=None)


@bp.get("/qr/<room>.svg")
def qr_code(room: str):
    """The room's join URL as a QR code, drawn on the server (no third-party service)."""
    _check_room(room)
    image = qrcode.make(join_url(room), image_factory=SvgPathImage, box_size=10, border=4)
    return Response(image.to_string(encoding="unicode"), mimetype="image/svg+xml",
                    headers={"Cache-Control": "no-cache"})


@bp.get("/api/rooms/<room>/polls/<int:poll>/results.<fmt>")
@bp.get("/present/<room>/polls/<int:poll>/results.<fmt>")
def poll_results(room: str, poll: int, fmt: str):
    """A poll's results as CSV or JSON, at any time, for the presenter: the cookie under
    /present/<room>/ (the screen's download links), ``Authorization: Bearer`` for scripts."""
    _check_room(room)
    audience = services().audience
    if not audience.presenters.claimed(room):
        raise ChorusError(NOT_FOUND, f"there is no room {room}")
    if not audience.presenters.verify(room, presented_token()):
        body = ChorusError(FORBIDDEN, "results need the room's presenter token").ack()
        return jsonify(body), 403
    if fmt not in ("csv", "json"):
        abort(404)
    if audience.polls.find(room, poll) is None:
        raise ChorusError(NOT_FOUND, f"there is no poll {poll} in room {room}")
    text = services().audience.polls.export(room, poll, fmt)
    mimetype = "text/csv" if fmt == "csv" else "application/json"
    filename = f"{room}-poll-{poll}.{fmt}"
    return Response(text, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _forbidden(room: str):
    return render_template("forbidden.html", room=room), 403, {"Cache-Control": "no-store"}


@bp.errorhandler(ChorusError)
def _refused(error: ChorusError):
    return jsonify(error.ack()), error.http_status


def lan_address() -> str | None:
    """This machine's address on its local network, to suggest for CHORUS_PUBLIC_URL.

    A UDP "connection" sends nothing; it only asks the kernel which address it would use.
    """
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))
            address = probe.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") else address


def _check_room(room: str) -> None:
    if not is_room_name(room):
        abort(404)
