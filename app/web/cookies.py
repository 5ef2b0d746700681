"""The two cookies every Chorus page gives a browser that lacks them.

``chorus_sticky``: a random key that Nginx's sticky upstream hashes (nginx/chorus-cluster.conf),
so all requests of one browser reach the same instance even when a hall of phones shares one
NAT address. ``chorus_device``: the signed device id that makes a vote count once per device
(app/audience/identity.py). Both are HttpOnly (page scripts never need them) and SameSite=Lax
(another site's page cannot send them along with its requests), and Secure when the page came
over HTTPS: the scheme as ProxyFix left it, so behind a trusted proxy (CHORUS_PROXIES) it is
X-Forwarded-Proto's, and a client's own X-Forwarded-Proto counts for nothing.
"""

from __future__ import annotations

import secrets

from flask import Response, request

from app.audience.identity import DEVICE_COOKIE, DEVICE_MAX_AGE
from app.web.context import services

STICKY_COOKIE = "chorus_sticky"
STICKY_MAX_AGE = 30 * 24 * 3600


def give_cookies(response: Response) -> Response:
    """after_request of the page blueprints."""
    if STICKY_COOKIE not in request.cookies:
        response.set_cookie(STICKY_COOKIE, secrets.token_urlsafe(12), max_age=STICKY_MAX_AGE,
                            httponly=True, samesite="Lax", secure=request.is_secure)
    devices = services().audience.devices
    if devices.read(request.cookies.get(DEVICE_COOKIE)) is None:
        response.set_cookie(DEVICE_COOKIE, devices.new_cookie(), max_age=DEVICE_MAX_AGE,
                            httponly=True, samesite="Lax", secure=request.is_secure)
    return response
