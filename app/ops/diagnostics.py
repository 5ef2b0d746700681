"""One-line diagnoses of proxy mistakes, seen from the Socket.IO requests that reach the app.

Two of the usual deployment failures show up only as cryptic, once-only Engine.IO errors:

* a WebSocket request that arrives without its ``Upgrade`` header: a proxy in front dropped it
  (Nginx without ``proxy_http_version 1.1`` and the Upgrade/Connection headers, or a
  ``location`` that does not match ``/socket.io/``). Clients silently fall back to polling;
* a request for a session this process does not hold: normal for a moment after a restart, but
  if it keeps happening the requests of one client are reaching different processes (several
  workers, or several instances without a sticky upstream).

This middleware says each in one plain log line with the fix: the first time, then at most once a
minute with a count. ``counts`` is shown on ``/healthz``.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable
from urllib.parse import unquote

log = logging.getLogger(__name__)

REPEAT_EVERY = 60.0
_SID = re.compile(r"(?:^|&)sid=([^&]*)")

MESSAGES = {
    "websocket_without_upgrade": (
        "a WebSocket request reached the app without its Upgrade header, so clients fall back "
        "to long-polling: the proxy in front drops it. Nginx needs, in a location matching "
        "/socket.io/: proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; "
        "proxy_set_header Connection $connection_upgrade (see nginx/chorus.conf)"),
    "unknown_session": (
        "a Socket.IO request named a session this process does not hold. Right after a "
        "restart that is expected (clients reconnect); if it persists, one client's requests "
        "reach different processes: run exactly one worker per gunicorn and put several "
        "instances behind a sticky upstream (nginx/chorus-cluster.conf)"),
}


class ProxyDiagnostics:
    """WSGI middleware in front of the Socket.IO server; it only looks, never answers."""

    def __init__(self, app: Callable, sessions: Callable[[], Iterable[str]],
                 path: str = "/socket.io/", clock: Callable[[], float] = time.monotonic):
        self.app = app
        self.sessions = sessions
        self.path = path
        self.clock = clock
        self.counts = dict.fromkeys(MESSAGES, 0)
        self._said: dict[str, tuple[float, int]] = {}

    def __call__(self, environ: dict, start_response: Callable):
        if environ.get("PATH_INFO", "").startswith(self.path):
            self._inspect(environ)
        return self.app(environ, start_response)

    def _inspect(self, environ: dict) -> None:
        query = environ.get("QUERY_STRING", "")
        if "transport=websocket" in query and "HTTP_UPGRADE" not in environ \
                and environ.get("REQUEST_METHOD") == "GET":
            self._note("websocket_without_upgrade")
        found = _SID.search(query)  # a regular expression: parse_qs cost 7% of a poll's CPU
        if found:
            sid = found.group(1)
            if "%" in sid:  # Engine.IO's sids are URL-safe; unquote only what needs it
                sid = unquote(sid)
            if sid and sid not in self.sessions():
                self._note("unknown_session")

    def _note(self, kind: str) -> None:
        self.counts[kind] += 1
        now = self.clock()
        last, count_then = self._said.get(kind, (None, 0))
        if last is not None and now - last < REPEAT_EVERY:
            return
        since = self.counts[kind] - count_then
        suffix = "" if last is None else f" ({since} times in the last {now - last:.0f} s)"
        log.warning("%s%s", MESSAGES[kind], suffix)
        self._said[kind] = (now, self.counts[kind])
