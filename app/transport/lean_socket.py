"""A leaner Engine.IO socket for the gevent server: one greenlet per connection, not three.

python-engineio gives every client a reader greenlet (the request), a writer greenlet (for
websocket clients) and a greenlet that sleeps until the next ping. An idle greenlet costs about
8 KiB, so two thirds of a connection's memory was spent waiting. Here:

* pings are sent by one greenlet per server (``Pinger``) that sleeps until the next socket is
  due and pings it on time, instead of one sleeping greenlet per socket;
* a websocket client is written to directly by whoever sends to it (the broadcaster, an ack),
  with a non-blocking write to its TCP socket. Only when the kernel's buffer is full is the rest
  kept in a backlog and a short-lived greenlet started to drain it. A client whose backlog
  passes ``max_backlog`` bytes has stopped reading: it is disconnected (it catches up with
  ``since`` when it comes back), so it cannot make the server's memory grow without bound.

Polling clients keep Engine.IO's queue (their GET request waits on it), with a cap on its length
for the same reason, and are answered at most every ``min_poll_interval``: each answer costs
the client a new request (a round trip over a phone's Wi-Fi) and the server a request's work,
which is most of what a polling client costs; what arrives in between goes out in one answer.
Everything else (handshake, upgrade, timeouts, close) is Engine.IO's own.
``install`` swaps the class in for the process; create_app calls it in gevent mode only.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import socket as stdlib_socket
import time
from collections import deque

import engineio.socket
import gevent
import gevent.event
from engineio import packet
from geventwebsocket.websocket import Header, WebSocket

from app.transport.engineio_rules import StrictSocket, exact_ping_interval

log = logging.getLogger(__name__)

OPCODE_TEXT, OPCODE_BINARY = WebSocket.OPCODE_TEXT, WebSocket.OPCODE_BINARY


class LeanSocket(StrictSocket):
    """Engine.IO's socket without the writer and ping greenlets."""

    max_backlog = 1 << 20  # bytes waiting for one websocket client before it is dropped
    on_drop = staticmethod(lambda: None)  # counts drops into /metrics (set by create_app)
    max_queue = 20000  # packets waiting for one polling client (a burst of 1,000 events
    # brings 1,000 acks and their batches at once) before it is dropped
    min_poll_interval = 0.1  # seconds between two answers to one polling client (set by
    # create_app from CHORUS_POLL_INTERVAL)

    def __init__(self, server, sid):
        self._queue = None  # made on first use: a websocket client never needs one after
        super().__init__(server, sid)  # the upgrade, and a queue costs ~2.5 KiB
        self.next_ping = None  # when the Pinger sends the next PING
        self._raw = None  # the websocket client's TCP socket, once writes go direct
        self._backlog: deque[bytes] | None = None  # made when the kernel first refuses bytes
        self._backlog_bytes = 0
        self._drainer = None  # the greenlet writing the backlog, while there is one
        self._answered = 0.0  # when a polling client's last GET was answered

    @property
    def queue(self):
        if self._queue is None:
            self._queue = self.server.create_queue()
        return self._queue

    @queue.setter
    def queue(self, value):
        self._queue = None  # Engine.IO's __init__ sets one; made again when needed
    def schedule_ping(self):
        """Called at connect and on each PONG: the Pinger sends the next one when due."""
        if self.last_ping:
            self.last_ping = None
            self.next_ping = time.monotonic() + self.server.ping_interval
            Pinger.for_server(self.server).watch(self)

    def poll(self):
        """Engine.IO's wait for packets to send to a polling client, answering it at most every
        ``min_poll_interval``: a batch that arrives sooner waits for the rest to join it."""
        rest = self._answered + self.min_poll_interval - time.monotonic()
        if rest > 0:
            self.server.sleep(rest)
        try:
            return super().poll()
        finally:
            self._answered = time.monotonic()

    def send(self, pkt):
        exact_ping_interval(self.server, pkt)
        if not self.check_ping_timeout():
            return
        if self._raw is not None and not self.upgrading:
            self._write(pkt)
        elif self.queue.qsize() >= self.max_queue:
            self._drop(f"{self.max_queue} packets waiting to be polled")
        else:
            self.queue.put(pkt)

    def close(self, wait=True, abort=False, reason=None):
        if self._raw is None:
            return super().close(wait=wait, abort=abort, reason=reason)
        if self.closed or self.closing:
            return
        self.closing = True
        self.server._trigger_event("disconnect", self.sid,
                                   reason or self.server.reason.SERVER_DISCONNECT,
                                   run_async=False)
        if not abort:
            self._write(packet.Packet(packet.CLOSE))
        self.closed = True
        self._shut()

    def _upgrade_websocket(self, environ, start_response):
        """Engine.IO's, calling the websocket wrapper's bound ``__call__``: the connection's
        greenlet then sleeps one C frame shallower (see _wrap_wsgi in app/__init__.py)."""
        if self.upgraded:
            raise OSError("Socket has been upgraded already")
        if self.server._async["websocket"] is None:
            return self.server._bad_request()
        ws = self.server._async["websocket"](self._websocket_handler, self.server)
        return ws.__call__(environ, start_response)

    def _websocket_handler(self, ws):
        """Engine.IO's websocket loop, reading only: writes go straight to the socket."""
        geventws = getattr(ws, "_sock", None)
        if not isinstance(geventws, WebSocket):  # not gevent-websocket: Engine.IO's own way
            return super()._websocket_handler(ws)
        self._geventws = geventws
        raw = geventws.handler.socket
        timeout = self.server.ping_interval + self.server.ping_timeout
        raw.settimeout(timeout)
        if self.connected:  # an upgrade from polling: Engine.IO's probe exchange first
            self.upgrading = True
            if not self._probe(ws):
                self.upgrading = False
                return []
        self.connected = self.upgraded = True
        self._raw = raw
        self.upgrading = False
        while self._queue is not None and not self._queue.empty():
            pkt = self._queue.get_nowait()  # what was queued before, in order
            self._queue.task_done()
            if pkt is not None and pkt.packet_type != packet.NOOP:  # NOOPs ended long-polls
                self._write(pkt)
        self._queue = None
        while True:
            try:
                data = ws.wait()
            except Exception:
                break
            if data is None:
                break
            # Let other connections run between two messages: a client that sent 20,000
            # events at once must not hold every other client up until they are all handled.
            self.server.sleep(0)
            if len(data) > self.server.max_http_buffer_size:
                break
            try:
                self.receive(packet.Packet(encoded_packet=data))
            except engineio.exceptions.UnknownPacketError:
                pass
            except engineio.exceptions.SocketIsClosedError:
                break
            except Exception:
                log.exception("%s: receive error", self.sid)
                break
        self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_CLOSE)
        return []

    def _probe(self, ws) -> bool:
        pkt = packet.Packet(encoded_packet=ws.wait())
        if pkt.packet_type != packet.PING or pkt.data != "probe":
            return False
        ws.send(packet.Packet(packet.PONG, data="probe").encode())
        self.queue.put(packet.Packet(packet.NOOP))  # ends the pending long-poll
        pkt = packet.Packet(encoded_packet=ws.wait())
        return pkt.packet_type == packet.UPGRADE

    def _write(self, pkt) -> None:
        """Frame and write one packet now; what the kernel will not take waits in order."""
        frame = frame_of(pkt)
        if self._backlog:
            self._hold(frame)
            return
        try:
            sent = self._raw._sock.send(frame)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            self._shut()
            return
        if sent < len(frame):
            self._hold(frame[sent:])
            if self._raw is not None and self._drainer is None:
                self._drainer = self.server.start_background_task(self._drain)

    def _hold(self, rest: bytes) -> None:
        if self._backlog is None:  # an empty deque costs ~0.6 KiB, on every idle connection
            self._backlog = deque()
        self._backlog.append(rest)
        self._backlog_bytes += len(rest)
        # Over the bound with more than one frame waiting: frames pile up, the client stopped
        # reading. One large frame alone (a big join answer) is a client still being served.
        if self._backlog_bytes > self.max_backlog and len(self._backlog) > 1:
            self._drop(f"{self._backlog_bytes} bytes waiting to be read")

    def _drain(self) -> None:
        try:
            self._drain_backlog()
        finally:
            self._drainer = None

    def _drain_backlog(self) -> None:
        while self._backlog and self._raw is not None:
            chunk = self._backlog[0]
            try:
                self._raw.sendall(chunk)
            except OSError:
                self._shut()
                return
            if self._backlog and self._backlog[0] is chunk:
                self._backlog.popleft()
                self._backlog_bytes -= len(chunk)

    def _drop(self, why: str) -> None:
        """A client that stopped reading: disconnect it; it rejoins with `since` later."""
        log.warning("%s: dropped, it stopped reading (%s)", self.sid, why)
        self.on_drop()
        if self._backlog is not None:
            self._backlog.clear()
        self._backlog_bytes = 0
        self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_ERROR)

    def _shut(self) -> None:
        """End the TCP connection, which ends the reader loop."""
        raw, self._raw = self._raw, None
        if self._backlog is not None:
            self._backlog.clear()
        drainer = self._drainer
        if drainer is not None and drainer is not gevent.getcurrent():
            # It waits on this socket's file descriptor: it must be gone before the handler
            # closes that descriptor, or libev aborts the worker on the stale watcher.
            drainer.kill(block=True)
        if raw is not None:
            try:
                raw.shutdown(stdlib_socket.SHUT_RDWR)
            except OSError:
                pass
        if not self.closed and self._queue is not None:
            self._queue.put(None)


def frame_of(pkt) -> bytes:
    """The websocket frame of an Engine.IO packet, made once per packet: a batch emitted to a
    room is one packet object written to every member, so a room of 1,000 frames it once, not
    1,000 times (the Socket.IO packet inside is already encoded once per emit)."""
    frame = getattr(pkt, "_frame", None)
    if frame is None:
        encoded = pkt.encode()
        if isinstance(encoded, str):
            payload, opcode = encoded.encode("utf-8"), OPCODE_TEXT
        else:
            payload, opcode = encoded, OPCODE_BINARY
        frame = bytes(Header.encode_header(True, opcode, b"", len(payload), 0)) + payload
        pkt._frame = frame
    return frame


class Pinger:
    """One greenlet per Engine.IO server that sends each socket its PING when it is due.

    Sockets wait in a heap ordered by due time; the greenlet sleeps until the earliest one, and
    is woken early when a socket due sooner is added, so a ping goes out on time (within the
    event loop's latency) however fractional the interval. Sending one ping runs Engine.IO's
    ping-timeout check, which may close that socket and run its disconnect handlers here: any
    failure of one socket is logged and ends only that socket, and if the greenlet ever dies
    the next ``watch`` starts another, so pings never stop for everyone else.
    """

    _by_server: dict[int, Pinger] = {}

    def __init__(self, server) -> None:
        self.server = server
        self._due: list[tuple[float, int, LeanSocket]] = []
        self._order = itertools.count()  # ties broken by arrival, never by comparing sockets
        self._wake = gevent.event.Event()
        self._greenlet: gevent.Greenlet | None = None

    @classmethod
    def for_server(cls, server) -> Pinger:
        pinger = cls._by_server.get(id(server))
        if pinger is None or pinger.server is not server:
            pinger = cls._by_server[id(server)] = cls(server)
        return pinger

    def watch(self, sock: LeanSocket) -> None:
        """Ping ``sock`` at its ``next_ping``."""
        heapq.heappush(self._due, (sock.next_ping, next(self._order), sock))
        if self._due[0][2] is sock:
            self._wake.set()  # due before whatever the greenlet sleeps for
        if self._greenlet is None or self._greenlet.dead:
            self._greenlet = gevent.spawn(self._run)

    def _run(self) -> None:
        while True:
            self._wake.clear()
            now = time.monotonic()
            while self._due and self._due[0][0] <= now:
                due, _, sock = heapq.heappop(self._due)
                if sock.next_ping == due and not (sock.closed or sock.closing):
                    self._ping(sock)
            self._wake.wait(self._due[0][0] - time.monotonic() if self._due else None)

    def _ping(self, sock: LeanSocket) -> None:
        sock.next_ping = None
        sock.last_ping = time.time()
        try:
            sock.send(packet.Packet(packet.PING))
        except Exception:
            log.exception("%s: ping failed; closing this connection", sock.sid)
            try:
                sock.close(wait=False, abort=True)
            except Exception:
                log.exception("%s: close after a failed ping failed", sock.sid)


def install() -> None:
    """Make python-engineio create LeanSockets (process-wide; gevent mode only)."""
    engineio.socket.Socket = LeanSocket
