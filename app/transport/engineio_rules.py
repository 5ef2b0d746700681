"""Engine.IO v4 as the protocol says, where python-engineio 4.15 answers otherwise.

Measured against the official Engine.IO protocol test suite (docs/protocol.md, "Conformance"),
python-engineio differs from the reference server in ways a client can meet on a bad network:

* the handshake announces ``pingInterval`` as ``int(seconds) * 1000``, so 0.5 s is announced as
  0 ms (``exact_ping_interval``);
* a request with no or an unknown ``transport``, a POST without a session, and methods other
  than GET, POST and OPTIONS get 200 or 405 instead of 400 with Engine.IO's error JSON
  (``strict_requests``); a POST is answered ``OK`` where the protocol says ``ok``;
* a POST whose payload does not decode is logged and answered 200, and the session lives on;
  a second GET while one is pending is served too; a GET after the ping timeout is served; a
  CLOSE posted while a GET is pending ends that GET with an empty body instead of a NOOP; and
  the NOOP that ends the long-poll during an upgrade can reach the new websocket after it
  (``StrictSocket``).

The fixes sit here, beside the sockets, so that the lean sockets (lean_socket.py) and Engine.IO's
own share them.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import engineio.socket
from engineio import exceptions, packet

TRANSPORTS = ("polling", "websocket")
# Engine.IO's error codes, as the reference server sends them in a 400's JSON body.
TRANSPORT_UNKNOWN, SESSION_UNKNOWN, BAD_METHOD, BAD_REQUEST = 0, 1, 2, 3


def exact_ping_interval(server, pkt: packet.Packet) -> None:
    """Set an OPEN packet's pingInterval to the server's interval, in whole milliseconds."""
    if pkt.packet_type == packet.OPEN and isinstance(pkt.data, dict):
        seconds = server.ping_interval + getattr(server, "ping_interval_grace_period", 0)
        pkt.data["pingInterval"] = round(seconds * 1000)


def strict_requests(server) -> None:
    """Wrap ``server.handle_request``: refuse what the protocol refuses, before Engine.IO."""
    handle_request = server.handle_request

    def handle(environ, start_response):
        method = environ.get("REQUEST_METHOD", "GET")
        query = parse_qs(environ.get("QUERY_STRING", ""))
        transport = query.get("transport", [None])[0]
        refusal = None
        if method not in ("GET", "POST", "OPTIONS"):
            refusal = (BAD_METHOD, "Bad request method")
        elif method != "OPTIONS" and query.get("EIO", ["4"])[0] == "4" \
                and transport not in TRANSPORTS:
            refusal = (TRANSPORT_UNKNOWN, "Transport unknown")
        elif method == "POST" and not query.get("sid"):
            refusal = (SESSION_UNKNOWN, "Session ID unknown")
        if refusal is not None:
            code, message = refusal
            body = json.dumps({"code": code, "message": message}).encode()
            start_response("400 BAD REQUEST", [("Content-Type", "application/json"),
                                               ("Content-Length", str(len(body)))])
            return [body]
        answer = handle_request(environ, start_response)
        if method == "POST" and answer == [b"OK"]:
            return [b"ok"]  # the protocol's word; clients ignore the body, the suite does not
        return answer

    server.handle_request = handle


class StrictSocket(engineio.socket.Socket):
    """Engine.IO's socket with the protocol's session rules; the base of LeanSocket too."""

    _polling = False  # a GET is waiting for packets

    def send(self, pkt):
        exact_ping_interval(self.server, pkt)
        return super().send(pkt)

    def handle_get_request(self, environ, start_response):
        upgrade = "upgrade" in environ.get("HTTP_CONNECTION", "").lower()
        if upgrade or self.upgrading or self.upgraded:
            return super().handle_get_request(environ, start_response)
        if self._polling:  # two GETs at once: the protocol ends the session
            self.close(wait=False, abort=False, reason=self.server.reason.TRANSPORT_ERROR)
            raise exceptions.EngineIOError("duplicate poll")
        if not self.check_ping_timeout():  # a GET after the ping timeout finds it closed
            raise exceptions.EngineIOError("ping timeout")
        self._polling = True
        try:
            return super().handle_get_request(environ, start_response)
        finally:
            self._polling = False

    def handle_post_request(self, environ):
        try:
            return super().handle_post_request(environ)
        except (ValueError, IndexError, UnicodeDecodeError) as exc:
            # An undecodable payload: 400, and the session ends. Closed here without waiting:
            # Engine.IO's own disconnect would wait for a queue nobody may read again.
            self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_ERROR)
            raise exceptions.UnknownPacketError(str(exc)) from exc

    def receive(self, pkt):
        if pkt.packet_type == packet.CLOSE and self._polling:
            self.queue.put(packet.Packet(packet.NOOP))  # the pending GET ends with a NOOP
        return super().receive(pkt)

    def poll(self):
        while True:
            packets = super().poll()
            if not (self.upgraded and packets):
                return packets
            # After an upgrade the NOOP that ended the long-poll has no one to end.
            kept = [p for p in packets if p.packet_type != packet.NOOP]
            if kept:
                return kept


def install() -> None:
    """Make python-engineio create these sockets (process-wide), where the lean ones are off."""
    engineio.socket.Socket = StrictSocket
