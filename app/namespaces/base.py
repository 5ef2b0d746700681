"""The base of Chorus's namespaces: every event gets a contract answer, and nothing else runs.

Flask-SocketIO's own dispatch would call ``on_disconnect`` for a client that merely sends an
event named "disconnect", would pass a missing or extra argument straight into a handler as a
TypeError, and wraps each event in a Flask request context. This dispatch answers unknown and
reserved event names with ``bad_request``, insists on exactly one payload, turns every refusal
into a failure ack, and calls handlers as plain methods ``on_<event>(sid, payload)``.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flask_socketio import Namespace

from app.ops.metrics import Metrics
from app.state.errors import ChorusError, bad_request, unavailable
from app.transport.packets import UNDECODABLE
from app.transport.ratelimit import RateLimit, RateLimited
from app.transport.traffic import Draining, Traffic

log = logging.getLogger(__name__)

# Refusals an operator wants to see (someone pushing past a limit or a permission), logged at
# most once a minute per connection and code so that a flood does not flood the log too.
LOGGED_REFUSALS = frozenset({"rate_limited", "forbidden", "too_large"})
_refusal_log = RateLimit(rate=1 / 60, burst=1, what="log lines")


class ContractNamespace(Namespace):
    """A namespace whose client events are exactly those named in ``events``.

    ``traffic`` (app/transport/traffic.py: rate limit, restart drain) and ``metrics``
    (app/ops/metrics.py) are given by the app factory; without them every event is admitted and
    nothing is counted.
    """

    events: frozenset[str] = frozenset()
    traffic: Traffic | None = None
    metrics: Metrics | None = None

    def trigger_event(self, event: Any, *args: Any) -> Any:
        """Route one event from python-socketio; the return value is the ack sent, if asked."""
        sid = args[0]
        manager = self.server.manager
        if event == "connect" and manager.is_pre_connected(sid, self.namespace):
            return self.connected(sid, *args[1:])
        if event == "disconnect" and sid in manager.pending_disconnect.get(self.namespace, ()):
            return self.disconnected(sid, *args[1:])
        if self.metrics is None:
            return self._answer(sid, event, args[1:])
        started = time.perf_counter()
        ack = self._answer(sid, event, args[1:])
        name = event if isinstance(event, str) and event in self.events else "unknown"
        self.metrics.events.labels(self.namespace, name).inc()
        code = "ok" if ack.get("ok") else ack["error"]["code"]
        self.metrics.acks.labels(self.namespace, code).inc()
        self.metrics.ack_seconds.labels(self.namespace).observe(time.perf_counter() - started)
        return ack

    def _answer(self, sid: str, event: Any, payload: tuple) -> dict:
        """The ack for one event: the handler's, or the refusal that stopped it first."""
        try:
            return self._handle(sid, event, payload)
        except RateLimited as limited:  # the transport's refusals, said in the contract's words
            refusal = ChorusError(limited.code, limited.message,
                                  retry_after_ms=limited.retry_after_ms)
        except Draining as draining:
            refusal = ChorusError(draining.code, str(draining))
        except ChorusError as error:
            refusal = error
        except Exception:  # answer, log, keep the connection: never a silent drop
            log.exception("%s %s from %s failed", self.namespace, event, sid,
                          extra={"event": str(event), "client": self.describe(sid),
                                 "code": "unavailable"})
            return unavailable("the server failed to handle this event").ack()
        if refusal.code in LOGGED_REFUSALS and _refusal_log.wait_ms((sid, refusal.code)) == 0:
            log.info("%s %s refused (%s) for client %s: %s", self.namespace, event,
                     refusal.code, self.describe(sid), refusal.message,
                     extra={"event": str(event), "code": refusal.code,
                            "client": self.describe(sid)})
        return refusal.ack()

    def _handle(self, sid: str, event: Any, payload: tuple) -> dict:
        """Admit the event and run its handler; refusals are raised, in the transport's words
        (RateLimited, Draining) or the contract's (ChorusError)."""
        if self.traffic is not None:
            self.traffic.admit(self.server.manager.eio_sid_from_sid(sid, self.namespace))
        if event == UNDECODABLE:
            raise bad_request("the event could not be decoded: it must be a JSON array of the "
                              "event name and one payload (no nesting thousands deep, no number "
                              "of more than 4300 digits)")
        if not isinstance(event, str) or event not in self.events:
            shown = repr(event)[:70]
            raise bad_request(f"unknown event {shown}; this namespace takes "
                              f"{', '.join(sorted(self.events))}")
        if len(payload) != 1:
            raise bad_request(f"{event} takes one payload object, got {len(payload)} arguments")
        if self.traffic is None:
            return getattr(self, "on_" + event)(sid, payload[0])
        with self.traffic.running():
            return getattr(self, "on_" + event)(sid, payload[0])

    def describe(self, sid: str) -> str:
        """Who ``sid`` is, for log lines; namespaces that know a client id say it."""
        return sid

    def connected(self, sid: str, environ: dict, auth: Any = None) -> bool | None:
        """A real connection arrived; subclasses accept it or raise ConnectionRefusedError."""
        return None

    def disconnected(self, sid: str, reason: Any = None) -> None:
        """A real connection ended."""
        return None
