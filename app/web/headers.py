"""The security headers every answer carries, set by the app so they hold with or without Nginx.

The Content-Security-Policy allows only this server's own scripts, styles, images and
connections (plus the ws/wss and http(s) origins of CHORUS_ALLOWED_ORIGINS), and who may frame
the pages (CHORUS_FRAME_ANCESTORS). It binds every page, present and future. Page code may not:

- run inline script: no ``<script>`` without ``src``, no ``javascript:`` URLs; put it in static/;
- use inline event handlers (``onclick=``, ``onload=``...): use ``addEventListener``;
- write ``style`` attributes in markup, nor ``<style>`` blocks: classes in static/style.css;
  setting ``element.style.width`` from a script is fine (CSSOM is not markup);
- use ``eval``, ``new Function`` or string timers (``setTimeout("...")``);
- load anything from another site (fonts, scripts, images): serve it from static/.

docs/security.md says the same for readers; tests/browser/test_security.py loads every page in
Chromium and fails on any violation. Presenter pages get ``Referrer-Policy: no-referrer`` (their
requests must not tell anyone which room is run from here); every other page ``same-origin``.
``Strict-Transport-Security`` only when the request came over HTTPS as the app sees it, which
behind a trusted proxy (CHORUS_PROXIES) is X-Forwarded-Proto's word.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from flask import Flask, Response, request

PRESENTER_PATHS = "/present/"
HSTS = "max-age=31536000"  # a year; no includeSubDomains: the domain's other hosts are not ours


def content_security_policy(allowed_origins: Iterable[str], frame_ancestors: str) -> str:
    """The policy text for this configuration (built once per app)."""
    connect = ["'self'"]
    for origin in allowed_origins:
        parts = urlsplit(origin.rstrip("/"))
        if parts.scheme in ("http", "https") and parts.netloc:
            secure = parts.scheme == "https"
            connect += [f"{parts.scheme}://{parts.netloc}",
                        f"{'wss' if secure else 'ws'}://{parts.netloc}"]
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",  # data: for the empty favicon of base.html
        "connect-src": " ".join(connect),
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": frame_ancestors,
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def init_app(app: Flask) -> None:
    """Give every answer of ``app`` the headers (an after_request of the whole app)."""
    policy = content_security_policy(app.config["ALLOWED_ORIGINS"],
                                     app.config["FRAME_ANCESTORS"])

    @app.after_request
    def _secure(response: Response) -> Response:
        headers = response.headers
        headers["Content-Security-Policy"] = policy
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = ("no-referrer" if request.path.startswith(PRESENTER_PATHS)
                                      else "same-origin")
        if request.is_secure:
            headers["Strict-Transport-Security"] = HSTS
        return response
