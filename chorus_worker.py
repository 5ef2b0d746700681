"""gunicorn's worker class for Chorus: gevent-websocket's worker, with a websocket reader that
follows RFC 6455 and caps message size, and a faster reader of request headers.

gevent-websocket reads a whole frame into memory, unmasks it in Python and only then hands it on,
so a client sending one 20 MiB frame costs the server 20 MiB and seconds of CPU before Engine.IO's
own size check could run. Here the length in each frame's header is checked first, summed over a
message's continuation frames, and a message over the cap is refused with close code 1009
("message too big") before its payload is read. The other framing rules gevent-websocket skips or
gets wrong (masking, close codes) are enforced from the header too, payloads are unmasked and
decoded at C speed, and each connection's frames are read within a byte budget the app offers.

gunicorn's master imports the worker class before wsgi.py patches anything, so this module sits
at the top level and imports nothing from app/: only gevent-websocket and gunicorn, which are
safe to import unpatched. It reads its one setting from the environment itself.

    worker_class = "chorus_worker.GeventWebSocketWorker"      # gunicorn.conf.py
"""

from __future__ import annotations

import codecs
import logging
import os
import re
import struct

from gevent import sleep
from geventwebsocket.exceptions import ProtocolError, WebSocketError
from geventwebsocket.gunicorn.workers import GeventWebSocketWorker as _BaseWorker
from geventwebsocket.handler import WebSocketHandler
from geventwebsocket.websocket import Header, WebSocket

# The largest websocket message accepted, in bytes. A value is at most 4 KiB, so a legitimate
# Socket.IO event is under 5 KiB; a message between that and the cap still reaches the app and
# gets a `too_large` ack, one over it closes the connection (the client reconnects).
MAX_MESSAGE = int(os.environ.get("CHORUS_MAX_MESSAGE", str(64 * 1024)))
CLOSE_PROTOCOL_ERROR = 1002
CLOSE_INVALID_DATA = 1007
CLOSE_TOO_BIG = 1009
READ_BUFFER = 1024  # bytes of request read ahead per connection (pywsgi: 8192)

log = logging.getLogger("chorus.worker")


class Refusal(ProtocolError):
    """A frame or message the server will not read: the close code that says why, and a reason
    for the log."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class MessageTooBig(Refusal):
    """A message whose frame headers announce more bytes than the cap."""

    def __init__(self, reason: str) -> None:
        super().__init__(CLOSE_TOO_BIG, reason)


def valid_close_code(code: int) -> bool:
    """Whether a peer may send ``code`` in a close frame (RFC 6455 7.4.1-7.4.2): the defined
    codes except those only for reporting (1004-1006, 1015), and the registered and private
    ranges 3000-4999. 1012-1014 were added to IANA's registry after the RFC."""
    return 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999


def unmask(payload: bytes, mask: bytes) -> bytes:
    """``payload`` XORed with the 4-byte ``mask`` repeated (RFC 6455 5.3), as one operation on
    two big integers: C speed, where gevent-websocket goes byte by byte in Python."""
    size = len(payload)
    key = (mask * (size // 4 + 1))[:size]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(size, "big")


_DATA = (WebSocket.OPCODE_CONTINUATION, WebSocket.OPCODE_TEXT, WebSocket.OPCODE_BINARY)
_CONTROL = (WebSocket.OPCODE_CLOSE, WebSocket.OPCODE_PING, WebSocket.OPCODE_PONG)
_utf8_decoder = codecs.getincrementaldecoder("utf-8")


class CappedWebSocket(WebSocket):
    """gevent-websocket's WebSocket with a reader that follows RFC 6455 and caps message size.

    Each frame's header is checked before its payload is read: masked, no reserved bits, a
    known opcode, control frames short and whole, fragments in order, and the message's
    announced length (summed over its continuation frames) within the cap. A frame that breaks
    a rule is answered with a close frame saying why (1002, 1007 for invalid UTF-8, 1009 for
    too big), and the connection ends. Payloads are unmasked and text decoded once, at C
    speed; a connection's reads wait when it is over its byte budget (the handler's
    ``byte_budget``). No new attributes (``__slots__ = ()``), so the handler can give this class
    to the WebSocket gevent-websocket made."""

    __slots__ = ()
    max_message = MAX_MESSAGE

    def read_message(self):
        """The next text (str) or binary (bytes) message; None once the connection closes."""
        try:
            return self._read_message()
        except ProtocolError as exc:  # includes gevent-websocket's own header checks: 1002
            code = getattr(exc, "code", CLOSE_PROTOCOL_ERROR)
            environ = self.environ or {}
            log.log(logging.WARNING if code == CLOSE_TOO_BIG else logging.INFO,
                    "websocket closed with %d from %s: %s", code,
                    environ.get("REMOTE_ADDR", "?"), exc)
            self.close(code, "message too big" if code == CLOSE_TOO_BIG else "")
            return None

    def close(self, code=1000, message=""):
        """Send a close frame that starts with its status code, as RFC 6455 says; gevent-websocket's
        own sends only the reason, so a client would never learn why (1009)."""
        if not self.closed:
            reason = message.encode() if isinstance(message, str) else bytes(message or b"")
            try:
                self.send_frame(struct.pack("!H", code) + reason[:123], self.OPCODE_CLOSE)
            except WebSocketError:
                pass  # the peer is gone: closing anyway
            self.closed = True
        super().close()  # already marked closed: sends nothing more, releases the stream

    def _read_message(self):
        opcode = None  # of the message being read, once its first frame is in
        announced = 0  # bytes of the current message, from the headers read so far
        parts: list = []
        decoder = None  # for a text message in several frames: characters cut across them
        while True:
            header = self._read_header()
            if header.opcode in _DATA:
                if header.opcode == self.OPCODE_CONTINUATION:
                    if opcode is None:
                        raise Refusal(CLOSE_PROTOCOL_ERROR, "continuation frame without a "
                                      "message")
                elif opcode is not None:
                    raise Refusal(CLOSE_PROTOCOL_ERROR, f"opcode {header.opcode} inside a "
                                  "fragmented message")
                announced += header.length
                if announced > self.max_message:
                    raise MessageTooBig(
                        f"message of at least {announced} bytes, over the cap of "
                        f"{self.max_message} (CHORUS_MAX_MESSAGE)")
            payload = self._read_payload(header)
            if header.opcode == self.OPCODE_PING:
                self.send_frame(payload, self.OPCODE_PONG)
                continue
            if header.opcode == self.OPCODE_PONG:
                continue
            if header.opcode == self.OPCODE_CLOSE:
                self._answer_close(payload)
                return None
            if opcode is None:
                opcode = header.opcode
                if header.fin:  # the usual case: a whole message in one frame
                    return _text(payload) if opcode == self.OPCODE_TEXT else payload
                if opcode == self.OPCODE_TEXT:
                    decoder = _utf8_decoder()
            if decoder is not None:
                parts.append(_text(payload, decoder, header.fin))
            else:
                parts.append(payload)
            if header.fin:
                return "".join(parts) if decoder is not None else b"".join(parts)

    def _read_header(self) -> Header:
        """The next frame's header, checked against RFC 6455 5.1-5.5 before its payload is
        read. gevent-websocket's decode_header refuses fragmented and oversize control frames
        itself (a ProtocolError: 1002)."""
        header = Header.decode_header(self.stream)
        if header.flags:
            raise Refusal(CLOSE_PROTOCOL_ERROR, "reserved bits set, with no extension")
        if header.opcode not in _DATA and header.opcode not in _CONTROL:
            raise Refusal(CLOSE_PROTOCOL_ERROR, f"reserved opcode {header.opcode}")
        if not header.mask:
            raise Refusal(CLOSE_PROTOCOL_ERROR, "unmasked client frame")
        return header

    def _read_payload(self, header) -> bytes:
        budget = getattr(self.handler, "byte_budget", None)
        if budget is not None:
            wait = budget.charge(header.length + 6)  # 6: a masked frame's shortest header
            if wait > 0:  # over its budget: read this client later, others meanwhile
                sleep(wait)
        if not header.length:
            return b""
        payload = self.raw_read(header.length)
        if len(payload) != header.length:
            raise WebSocketError("Unexpected EOF reading frame payload")
        return unmask(payload, header.mask)

    def _answer_close(self, payload: bytes) -> None:
        """Echo a close frame's status code (RFC 6455 5.5.1); 1002 for a body of one byte or
        a code no one may send, 1007 for a reason that is not UTF-8."""
        if not payload:
            self.close(1000)
            return
        if len(payload) < 2:
            raise Refusal(CLOSE_PROTOCOL_ERROR, "close frame with a 1-byte body")
        code = struct.unpack("!H", payload[:2])[0]
        if not valid_close_code(code):
            raise Refusal(CLOSE_PROTOCOL_ERROR, f"invalid close code {code}")
        _text(payload[2:])
        self.close(code)


def _text(payload: bytes, decoder=None, final: bool = True) -> str:
    """``payload`` decoded as UTF-8, by ``decoder`` when the text continues in later frames;
    invalid UTF-8 (or a character cut off at the end) is refused with 1007."""
    try:
        if decoder is None:
            return payload.decode("utf-8")
        return decoder.decode(payload, final)
    except UnicodeDecodeError as exc:
        raise Refusal(CLOSE_INVALID_DATA, f"invalid UTF-8 in a text message: {exc}") from None


class RequestHeaders:
    """A request's headers, read the way gevent's pywsgi wants them, without the email package.

    pywsgi parses headers with ``http.client.parse_headers``, which runs the email package's
    feed parser: about 75 us a request, a third of the server's CPU when thousands of long-polls
    a second each arrive on a new connection. This reads the same lines into a list and offers
    the few methods pywsgi calls (``get``, ``getheader``, ``typeheader``, ``headers``,
    ``status``, deleting a header), with http.client's limits on line length and count, and
    stricter than either about what could frame a body two ways."""

    __slots__ = ("headers", "status", "_values")
    MAX_LINE = 65536
    MAX_HEADERS = 100

    def __init__(self, rfile, *_ignored) -> None:
        self.headers: list[str] = []  # "Name: value\r\n", as sent
        self._values: dict[str, str] = {}  # the headers pywsgi asks for, each a few times
        self.status = ""  # pywsgi answers 400 when this is not empty
        framing: list[str] = []  # the Content-Length and Transfer-Encoding lines, lowercased
        while True:
            line = rfile.readline(self.MAX_LINE + 1)
            if len(line) > self.MAX_LINE:
                self.status = "Line too long"
                return
            if line in (b"\r\n", b"\n", b""):
                break
            if len(self.headers) >= self.MAX_HEADERS:
                self.status = "Too many headers"
                return
            text = line.decode("iso-8859-1")
            name, colon, value = text.partition(":")
            # RFC 9112: a field name is a token, with nothing between it and the colon, and
            # folded continuation lines are refused. Leniency here is what request smuggling
            # feeds on: pywsgi and a proxy in front would frame the body differently.
            if not colon or not _TOKEN.fullmatch(name):
                self.status = "Invalid header line"
                return
            key = name.lower()
            if key in ("content-length", "transfer-encoding"):
                framing.append(text.lower())
            self.headers.append(text)
            if key in _ASKED and key not in self._values:
                self._values[key] = value.strip()
        if framing:
            self.status = _framing_problem(framing)

    def get(self, name: str, default=None):
        """The value of header ``name`` (any case), the first if it is repeated."""
        wanted = name.lower()
        if wanted in _ASKED:
            return self._values.get(wanted, default)
        for line in self.headers:
            key, _, value = line.partition(":")
            if key.lower() == wanted:
                return value.strip()
        return default

    getheader = get

    @property
    def typeheader(self):
        return self.get("content-type")

    def __delitem__(self, name: str) -> None:
        wanted = name.lower()
        self.headers = [line for line in self.headers
                        if line.partition(":")[0].lower() != wanted]
        self._values.pop(wanted, None)


# The headers pywsgi and gevent-websocket read, several times a request: kept in a small map.
# (A websocket connection keeps its request's headers for its whole life, so not all of them.)
_ASKED = frozenset(("connection", "content-length", "content-type", "transfer-encoding",
                    "upgrade"))
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def _framing_problem(lines: list[str]) -> str:
    """Why a request's body framing is ambiguous, or "": one Content-Length or one
    ``Transfer-Encoding: chunked``, never both, never repeated."""
    lengths = [line for line in lines if line.startswith("content-length")]
    encodings = [line.partition(":")[2].strip() for line in lines
                 if line.startswith("transfer-encoding")]
    if len(lengths) > 1 or len(encodings) > 1:
        return "Repeated Content-Length or Transfer-Encoding"
    if lengths and encodings:
        return "Both Content-Length and Transfer-Encoding"
    if encodings and encodings[0] != "chunked":
        return "Unsupported Transfer-Encoding"
    return ""


def _ignore_start_response(status, headers, exc_info=None):
    """A websocket's WSGI answer goes nowhere: the 101 was sent before the app ran."""
    return None


class CappedWebSocketHandler(WebSocketHandler):
    """gevent-websocket's handler, whose websockets are CappedWebSockets and whose request
    headers are read by RequestHeaders."""

    def __init__(self, sock, address, server, rfile=None):
        # pywsgi's read buffer is 8 KiB per connection, held for a websocket's whole life;
        # requests and websocket frames here are small, so a smaller one costs no extra reads.
        if rfile is None:
            rfile = sock.makefile("rb", READ_BUFFER)
        super().__init__(sock, address, server, rfile)

    MessageClass = RequestHeaders  # pywsgi calls self.MessageClass(rfile, 0)
    # A websocket's byte budget, when the app offers one: its charge(bytes) says how long to
    # wait before reading them (CappedWebSocket._read_payload). The class's None for the rest.
    byte_budget = None

    def get_environ(self):
        # Tells the app's self-check (app/ops/selfcheck.py, UPGRADE_MARK) that the server
        # in use can upgrade this request to WebSocket: `flask run` or gunicorn's own workers
        # serve the same pages without it.
        environ = super().get_environ()
        environ["chorus.can_upgrade"] = True
        # The connection, for a long response that must be ended from another greenlet while
        # its write is blocked (an event-stream reader that stopped reading, app/web/events.py).
        environ["chorus.socket"] = self.socket
        return environ

    def start_response(self, status, headers, exc_info=None):
        # A client that sent "Connection: close" is told so in the answer (RFC 9112 9.6: the
        # server SHOULD send close in its final response). pywsgi closes without saying it,
        # and a client keeping a pool of connections (Node's http agent) then sends its next
        # request down the closed one and gets "socket hang up".
        if self.close_connection and not any(name.lower() == "connection" for name, _ in headers):
            headers = [*headers, ("Connection", "close")]
        return super().start_response(status, headers, exc_info)

    def log_request(self):
        # gevent-websocket formats every request's log line, then its logger drops it unless
        # CHORUS_ACCESS_LOG is on: format only when it will be written.
        if self.logger.isEnabledFor(logging.INFO):
            super().log_request()

    def upgrade_websocket(self):
        """Let the app refuse a handshake (another site's origin, a restart, too many
        connections) with a real HTTP status before gevent-websocket answers 101. The app
        offers the check as ``extensions["chorus.websocket_admission"]``: duck-typed, since
        this module imports nothing from app/."""
        if self.environ.get("HTTP_UPGRADE", "").lower() == "websocket":
            extensions = getattr(self.application, "extensions", None) or {}
            admission = extensions.get("chorus.websocket_admission")
            refusal = admission(self.environ) if admission is not None else None
            if refusal is not None:
                status, body = refusal
                self.start_response(status, [("Content-Type", "application/json"),
                                             ("Content-Length", str(len(body))),
                                             ("Connection", "close")])
                return [body]
        return super().upgrade_websocket()

    def run_websocket(self):
        """gevent-websocket's, for the memory a websocket holds for its whole life (conn 10k:
        this greenlet sleeps inside this call until the client leaves):

        * the request's header lines are let go (the environ holds what the app reads);
        * no entry in ``server.clients`` (gevent-websocket's registry for its own servers,
          which nothing here reads: an object and a dict entry per connection);
        * a Flask app's ``wsgi_app`` is called directly (what ``Flask.__call__`` would call),
          so the sleeping greenlet's saved C stack is one call through C shorter.
        """
        if getattr(self, "prevent_wsgi_call", False):
            return
        if isinstance(self.headers, RequestHeaders):
            self.headers.headers = []
        app = self.application
        if hasattr(app, "extensions") and callable(getattr(app, "wsgi_app", None)):
            app = app.wsgi_app  # a Flask app: Flask.__call__ only calls this (an Engine.IO
            # WSGIApp has a wsgi_app too, its fallback for other paths: called as it is)
        try:
            list(app(self.environ, _ignore_start_response))
        finally:
            if not self.websocket.closed:
                self.websocket.close()
            self.environ.update({"wsgi.websocket": None})
            self.websocket = None

    def upgrade_connection(self):
        # gevent-websocket builds its WebSocket inside this method and offers no hook to choose
        # the class; the object it made is given the subclass (same slots, one more check).
        result = super().upgrade_connection()
        if type(getattr(self, "websocket", None)) is WebSocket:
            self.websocket.__class__ = CappedWebSocket
            # The app offers a budget per connection as ``extensions["chorus.byte_budget"]``
            # (duck-typed, like the admission check): a callable returning one, or None.
            extensions = getattr(self.application, "extensions", None) or {}
            budget_for = extensions.get("chorus.byte_budget")
            if budget_for is not None:
                self.byte_budget = budget_for()
        return result


class GeventWebSocketWorker(_BaseWorker):
    """gevent-websocket's gunicorn worker with the capped handler."""

    wsgi_handler = CappedWebSocketHandler
