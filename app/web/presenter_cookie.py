"""The presenter's cookie: how a browser proves it runs a room without the token in any URL.

A URL ends up in places a secret must not: Nginx's and gunicorn's access logs, the browser's
history and its sync, and the ``Referer`` of every request the page makes. So the token travels
in URLs never. Creating a room (``POST /rooms``) answers with this cookie and a redirect to the
bare ``/present/<room>``; the link for a second device carries the token in the fragment
(``/present/<room>#token=T``), which browsers never send to a server, and static/enter.js on that
device trades it for the same cookie (``POST /present/<room>/session``), then drops it from the
address bar and the history entry.

The cookie is HttpOnly (no page script reads it), SameSite=Strict (no other site's page can
send it along), Secure over HTTPS, and its path is the room's presenter pages only
(``/present/<room>``), so no other request, not even another room's, carries it.
"""

from __future__ import annotations

from flask import Response, request, url_for

PRESENTER_COOKIE = "chorus_presenter"
PRESENTER_MAX_AGE = 30 * 24 * 3600


def presenter_path(room: str) -> str:
    """The path the cookie is scoped to: the room's presenter screen and what lies under it."""
    return url_for("audience.present", room=room)


def give_presenter_cookie(response: Response, room: str, token: str) -> Response:
    """Set ``room``'s presenter cookie on ``response`` (room creation, a token exchanged)."""
    return give_token_cookie(response, PRESENTER_COOKIE, token, presenter_path(room))


def give_token_cookie(response: Response, name: str, token: str, path: str) -> Response:
    """Set a room token's cookie on ``response``, as this module's docstring says: HttpOnly,
    SameSite=Strict, Secure over HTTPS, scoped to ``path``. The co-host's cookie is one too."""
    response.set_cookie(name, token, max_age=PRESENTER_MAX_AGE, path=path, httponly=True,
                        samesite="Strict", secure=request.is_secure)
    return response


def presenter_token() -> str:
    """The token this request's cookie carries ("" without one); the caller verifies it."""
    return request.cookies.get(PRESENTER_COOKIE, "")


def presented_token() -> str:
    """The token a presenter's request shows: its cookie (the presenter screen's requests,
    under /present/<room>), else ``Authorization: Bearer`` (scripts); never a query string,
    which would land in access logs. "" without one; the caller verifies it."""
    scheme, _, bearer = request.headers.get("Authorization", "").partition(" ")
    return presenter_token() or (bearer.strip() if scheme.lower() == "bearer" else "")


def second_device_link(room: str, token: str) -> str:
    """The link that makes another browser this room's presenter: the token in the fragment."""
    return url_for("audience.present", room=room, _external=True) + "#token=" + token
