"""Which page origins may open a Socket.IO connection: the page's own, plus an allow-list.

Engine.IO checks the Origin header of every request that has one (websocket upgrades and polling
alike); a browser on another site is refused there, which is what stops cross-site WebSocket
hijacking. Engine.IO logs only the first refusal; this check logs each one, one line apiece, so
an operator who forgot CHORUS_ALLOWED_ORIGINS sees exactly which origin was turned away.

"Same origin" is the scheme and Host of the request as the app sees it: behind a proxy that is
what ProxyFix restores from X-Forwarded-Proto and the forwarded Host.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import urlsplit

log = logging.getLogger(__name__)


def origin_check(allowed: list[str], what: str = "Socket.IO connection"
                 ) -> Callable[[str, dict], bool]:
    """Build Engine.IO's ``cors_allowed_origins`` callable for this allow-list (and the event
    stream's check: ``what`` names what was refused in the log)."""
    extra = {origin.rstrip("/") for origin in allowed}

    def accept(origin: str | None, environ: dict) -> bool:
        if not origin:  # asked while building CORS headers for a request without Origin
            return False
        own = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}"
        if origin == own or origin in extra:
            return True
        log.warning("refused %s from origin %s: this server sees itself as %s; %s", what,
                    origin, own, _hint(origin, environ))
        return False

    return accept


def _hint(origin: str, environ: dict) -> str:
    """The likeliest fix for a refused origin, from what the request shows."""
    try:
        page = urlsplit(origin)
    except ValueError:
        return "the Origin header is not a URL"
    if page.netloc == environ.get("HTTP_HOST"):
        return ("same host, other scheme: behind a TLS proxy, send X-Forwarded-Proto and set "
                "CHORUS_PROXIES=1")
    if "HTTP_X_FORWARDED_FOR" in environ:
        return ("through a proxy: it must pass the browser's Host (Nginx: proxy_set_header Host "
                "$http_host), or add the origin to CHORUS_ALLOWED_ORIGINS if it is yours")
    return "if that page is yours, add its origin to CHORUS_ALLOWED_ORIGINS"
