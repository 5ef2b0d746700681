"""The base of Chorus's namespaces: every event gets a contract answer, and nothing else runs.

Flask-SocketIO's own dispatch would call ``on_disconnect`` for a client that merely sends an
event named "disconnect", would pass a missing or extra argument straight into a handler as a
TypeError, and wraps each event in a Flask request context. This dispatch answers unknown and
reserved event names with ``bad_request``, insists on exactly one payload, turns every refusal
into a failure ack, and calls handlers as plain methods ``on_<event>(sid, payload)``.
"""

from __future__ import annotations

import logging
from typing import Any

from flask_socketio import Namespace

from app.errors import ChorusError, bad_request, unavailable

log = logging.getLogger(__name__)


class ContractNamespace(Namespace):
    """A namespace whose client events are exactly those named in ``events``."""

    events: frozenset[str] = frozenset()

    def trigger_event(self, event: Any, *args: Any) -> Any:
        """Route one event from python-socketio; the return value is the ack sent, if asked."""
        sid = args[0]
        manager = self.server.manager
        if event == "connect" and manager.is_pre_connected(sid, self.namespace):
            return self.connected(sid, *args[1:])
        if event == "disconnect" and sid in manager.pending_disconnect.get(self.namespace, ()):
            return self.disconnected(sid, *args[1:])
        if not isinstance(event, str) or event not in self.events:
            shown = repr(event)[:70]
            return bad_request(f"unknown event {shown}; this namespace takes "
                               f"{', '.join(sorted(self.events))}").ack()
        payload = args[1:]
        if len(payload) != 1:
            return bad_request(f"{event} takes one payload object, got {len(payload)} "
                               "arguments").ack()
        try:
            return getattr(self, "on_" + event)(sid, payload[0])
        except ChorusError as refusal:
            return refusal.ack()
        except Exception:  # answer, log, keep the connection: never a silent drop
            log.exception("%s %s from %s failed", self.namespace, event, sid)
            return unavailable("the server failed to handle this event").ack()

    def connected(self, sid: str, environ: dict, auth: Any = None) -> bool | None:
        """A real connection arrived; subclasses accept it or raise ConnectionRefusedError."""
        return None

    def disconnected(self, sid: str, reason: Any = None) -> None:
        """A real connection ended."""
        return None
