"""Engine.IO connections as a whole: who may open one, how many each address holds, and closing
all of them when the process stops.

``ConnectionGate`` is WSGI middleware in front of Engine.IO (a refused handshake gets a proper
HTTP status and a JSON body, which Engine.IO's own connect refusal cannot give: it always answers
401) and listens to Engine.IO's connect and disconnect events to count connections per client
address. The address is REMOTE_ADDR as ProxyFix left it, so behind Nginx it is the client's, not
Nginx's. The per-address cap is off by default: a conference hall's phones often share one NAT
address. Loopback addresses are never capped.

``drain`` is what SIGTERM runs (gunicorn.conf.py wraps the worker's exit handler): refuse new
events and handshakes, let the events in flight finish (a write is acknowledged only after its
commit, so nothing acknowledged is lost), then close every Engine.IO connection. Closing at the
Engine.IO level, not with a Socket.IO disconnect, is what makes socket.io-client and
python-socketio reconnect by themselves, to another instance or to this one restarted, and
rejoin with ``since``.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.middleware.proxy_fix import ProxyFix

from app.transport.addresses import is_local
from app.transport.traffic import Traffic

log = logging.getLogger(__name__)

IN_FLIGHT_WAIT = 3.0  # seconds a drain waits for running event handlers before closing


class ConnectionGate:
    """Admits Engine.IO handshakes and counts open connections per address."""

    def __init__(self, app: Callable, eio: Any, traffic: Traffic, per_address: int,
                 on_refused: Callable[[str], None] = lambda reason: None,
                 origin_allowed: Callable[[str, dict], bool] = lambda origin, environ: True,
                 proxies: int = 0, path: str = "/socket.io/") -> None:
        self.app = app
        self.origin_allowed = origin_allowed
        self.proxies = proxies
        self.eio = eio
        self.traffic = traffic
        self.per_address = per_address
        self.on_refused = on_refused
        self.path = path
        self._address_of: dict[str, str] = {}  # Engine.IO sid -> client address
        self._open = Counter()  # client address -> open connections
        if per_address:  # counted only when capped: nothing kept per connection otherwise
            connect, disconnect = eio.handlers["connect"], eio.handlers["disconnect"]

            def counted_connect(sid: str, environ: dict, *rest: Any) -> Any:
                accepted = connect(sid, environ, *rest)
                if accepted is None or accepted is True:
                    address = environ.get("REMOTE_ADDR", "?")
                    self._address_of[sid] = address
                    self._open[address] += 1
                return accepted

            def counted_disconnect(sid: str, *rest: Any) -> Any:
                address = self._address_of.pop(sid, None)
                if address is not None:
                    self._open[address] -= 1
                    if self._open[address] <= 0:
                        del self._open[address]
                return disconnect(sid, *rest)

            eio.on("connect", counted_connect)
            eio.on("disconnect", counted_disconnect)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith(self.path) and \
                not _has_sid(environ):  # a new Engine.IO session
            refusal = self._refusal(environ)
            if refusal is not None:
                status, reason, code, message = refusal
                self.on_refused(reason)
                log.warning("connection refused (%s) from %s: %s", reason,
                            environ.get("REMOTE_ADDR", "?"), message)
                body = json.dumps({"ok": False, "error": {"code": code,
                                                          "message": message}}).encode()
                headers = [("Content-Type", "application/json"),
                           ("Content-Length", str(len(body)))]
                if status.startswith("503"):
                    headers += [("Retry-After", "1"), ("Connection", "close")]
                start_response(status, headers)
                return [body]
        if self.traffic.draining:  # every answer closes its connection: nothing is kept alive
            def closing_start_response(status, headers, exc_info=None):
                headers = [(k, v) for k, v in headers if k.lower() != "connection"]
                return start_response(status, [*headers, ("Connection", "close")], exc_info)

            return self.app(environ, closing_start_response)
        return self.app(environ, start_response)

    def admit_websocket(self, environ: dict) -> tuple[str, bytes] | None:
        """Refuse a WebSocket handshake before it is answered 101, or None to go on.

        gevent-websocket answers the upgrade before the app sees the request, so Engine.IO's
        origin check and this gate could only close a socket already open. chorus_worker.py
        asks here first (``app.extensions["chorus.websocket_admission"]``), with the environ as
        the server read it: ProxyFix's view is made on a copy, as the app will see it."""
        if not environ.get("PATH_INFO", "").startswith(self.path):
            return None
        seen = dict(environ)
        if self.proxies:
            ProxyFix(lambda e, s: seen.update(e) or [], x_for=self.proxies,
                     x_proto=self.proxies)(dict(environ), lambda *a: None)
        origin = seen.get("HTTP_ORIGIN")
        try:
            allowed = not origin or self.origin_allowed(origin, seen)
        except ValueError:  # an Origin that is not a URL
            allowed = False
        if not allowed:
            self.on_refused("origin")
            return _json_refusal("403 Forbidden", "forbidden",
                                 f"origin {origin[:100]} may not connect to this server")
        if not _has_sid(seen):
            refusal = self._refusal(seen)
            if refusal is not None:
                status, reason, code, message = refusal
                self.on_refused(reason)
                log.warning("websocket refused (%s) from %s: %s", reason,
                            seen.get("REMOTE_ADDR", "?"), message)
                return _json_refusal(status, code, message)
        return None

    def _refusal(self, environ: dict) -> tuple[str, str, str, str] | None:
        address = environ.get("REMOTE_ADDR", "?")
        if self.traffic.draining:
            return ("503 Service Unavailable", "draining", "unavailable",
                    "this server is restarting; connect again in a moment")
        if self.per_address and self._open[address] >= self.per_address and \
                not is_local(environ):
            return ("429 Too Many Requests", "per_address", "rate_limited",
                    f"{self.per_address} connections from one address are open already "
                    "(CHORUS_MAX_CONNECTIONS_PER_ADDRESS)")
        return None

    def drain(self) -> int:
        """Stop taking events and connections, let running handlers finish, close everyone.
        Returns how many connections were closed."""
        self.traffic.stop_admitting()
        if not self.traffic.wait_idle(IN_FLIGHT_WAIT):
            log.warning("drain: %d event(s) still running after %.0f s; closing anyway",
                        self.traffic.in_flight, IN_FLIGHT_WAIT)
        sockets = list(self.eio.sockets.items())
        for sid, sock in sockets:
            try:
                # abort: no Engine.IO "close" packet, which python-socketio's client takes for a
                # deliberate goodbye and does not reconnect after; a dropped transport is
                # reconnected by every client.
                sock.close(wait=False, abort=True, reason=self.eio.reason.SERVER_DISCONNECT)
            except Exception:  # one broken socket must not keep the others open
                log.exception("drain: closing %s failed", sid)
            self.eio.sockets.pop(sid, None)
        log.info("drain: closed %d connection(s) so clients reconnect elsewhere or after the "
                 "restart", len(sockets))
        return len(sockets)


_SID = re.compile(r"(?:^|&)sid=")


def _has_sid(environ: dict) -> bool:
    """Whether a request belongs to an existing Engine.IO session (a ``sid`` parameter, as
    Engine.IO parses the query; not merely the text "sid=" anywhere in it)."""
    return _SID.search(environ.get("QUERY_STRING", "")) is not None


def _json_refusal(status: str, code: str, message: str) -> tuple[str, bytes]:
    return status, json.dumps({"ok": False, "error": {"code": code, "message": message}}).encode()


def clients_by_transport(eio: Any) -> dict[str, int]:
    """Open Engine.IO connections of this process, by current transport."""
    counts = {"websocket": 0, "polling": 0}
    for sock in list(eio.sockets.values()):
        counts["websocket" if sock.upgraded else "polling"] += 1
    return counts
