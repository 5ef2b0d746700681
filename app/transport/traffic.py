"""What every client event passes through before its handler: the per-connection rate limit, the
refusal while the server drains for a restart, and the count of events in flight; and the byte
budget each websocket connection's frames are read within.

One Traffic is shared by every namespace of an app (ContractNamespace asks it). The limit is a
token bucket per Engine.IO connection: a burst large enough for an outbox replay or a polling POST
of a thousand queued clicks, then a steady rate, past which the answer is ``rate_limited`` with
``retry_after_ms`` and the connection stays open. Refusals are raised as this layer's own
exceptions; the namespaces answer them in the contract's words.

The byte budget is the events' counterpart below Engine.IO: chorus_worker.py asks
``byte_budget()`` for one per websocket connection and charges every frame to it before reading
the payload; a client over it is read later rather than refused (backpressure).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from app.transport.ratelimit import ByteBudget, RateLimit


class Draining(Exception):
    """The refusal of every event once the process is stopping for a restart."""

    code = "unavailable"


class Traffic:
    """Admission of client events: ``admit`` raises the refusal, ``running`` counts in-flight."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] | None = None,
                 byte_rate: float = 0, byte_burst: int = 0,
                 on_read_delay: Callable[[float], None] | None = None) -> None:
        self.limit = RateLimit(rate, burst, what="events on this connection",
                               **({"clock": clock} if clock else {})) if rate > 0 else None
        self.byte_rate = byte_rate
        self.byte_burst = byte_burst
        self._on_read_delay = on_read_delay
        self.draining = False
        self._in_flight = 0
        self._idle = threading.Condition()

    def admit(self, connection: str) -> None:
        """Raise the refusal for one more event on ``connection`` (Draining or RateLimited), if
        any."""
        if self.draining:
            raise Draining("the server is restarting: retry in a moment (you will be "
                           "reconnected)")
        if self.limit is not None:
            self.limit.take(connection)

    def byte_budget(self) -> ByteBudget | None:
        """A new websocket connection's byte budget (chorus_worker.py), or None when
        CHORUS_BYTE_RATE is 0."""
        if self.byte_rate <= 0:
            return None
        return ByteBudget(self.byte_rate, self.byte_burst, on_delay=self._on_read_delay)

    @contextmanager
    def running(self) -> Iterator[None]:
        """Count one event handler in flight while the block runs."""
        with self._idle:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._idle:
                self._in_flight -= 1
                if not self._in_flight:
                    self._idle.notify_all()

    def stop_admitting(self) -> None:
        self.draining = True

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no handler runs (at most ``timeout`` s); True when none does."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)

    @property
    def in_flight(self) -> int:
        return self._in_flight
