"""What an operator watches: counters and histograms in Prometheus's format, served at /metrics.

Each app has its own registry (tests build many apps in one process; prometheus_client's global
registry would refuse the second). Counts that already live somewhere (open connections, rooms
followed, the message queue's link) are read at scrape time by ``LiveCollector`` rather than kept
twice; everything else is counted where it happens: events and acks in
app/namespaces/base.py, batch sizes where batches are emitted, store calls through
``TimedStore``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from app.ops.blocked_loop import blocked_count

# The contract's code for an unreachable store (app/state/errors.py, a layer above this one).
UNAVAILABLE = "unavailable"

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """The app's instruments, all in ``registry``."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.events = Counter("chorus_events", "Client events received, by namespace and event "
                              "(names outside the namespace's contract count as 'unknown').",
                              ["namespace", "event"], registry=r)
        self.acks = Counter("chorus_acks", "Acks sent, by namespace and result: ok, or the "
                            "contract's error code.", ["namespace", "code"], registry=r)
        self.ack_seconds = Histogram("chorus_ack_seconds", "Time from an event's arrival to its "
                                     "ack being ready.", ["namespace"], buckets=LATENCY_BUCKETS,
                                     registry=r)
        self.batch_changes = Histogram("chorus_batch_changes", "Changes per `changes` batch sent "
                                       "to a room.", buckets=(1, 2, 5, 10, 20, 50, 100, 256, 1000),
                                       registry=r)
        self.store_seconds = Histogram("chorus_store_seconds", "Time of one store call, by "
                                       "operation.", ["operation"], buckets=LATENCY_BUCKETS,
                                       registry=r)
        self.store_errors = Counter("chorus_store_errors", "Store calls that failed because "
                                    "the store could not be reached (answered unavailable), by "
                                    "operation.", ["operation"], registry=r)
        self.refused = Counter("chorus_refused_connections", "Connections refused, by reason "
                               "(origin, per_address, draining).", ["reason"], registry=r)
        for reason in ("origin", "per_address", "draining"):  # zero, not absent, for alerts
            self.refused.labels(reason)
        self.dropped = Counter("chorus_dropped_clients", "Clients dropped by the server, by "
                               "reason (backlog: stopped reading; draining: restart).",
                               ["reason"], registry=r)
        for reason in ("backlog", "draining", "stream"):
            self.dropped.labels(reason)
        self.read_delays = Counter("chorus_websocket_read_delays", "Websocket frames read later "
                                   "because their connection was over its byte budget "
                                   "(CHORUS_BYTE_RATE).", registry=r)
        self.read_delay_seconds = Counter("chorus_websocket_read_delay_seconds", "Seconds "
                                          "websocket reads waited for their connection's byte "
                                          "budget.", registry=r)

    def read_delayed(self, seconds: float) -> None:
        """Count one read delayed by ``seconds`` (the byte budget's on_delay)."""
        self.read_delays.inc()
        self.read_delay_seconds.inc(seconds)

    def watch(self, **readers: Callable[[], Any]) -> None:
        """Gauges read at scrape time; see LiveCollector for the readers it takes."""
        self.registry.register(LiveCollector(**readers))


class LiveCollector:
    """Gauges computed when Prometheus scrapes, from the objects that hold them."""

    def __init__(self, clients: Callable[[], dict[str, int]], rooms: Callable[[], int],
                 queue: Callable[[], bool | None], draining: Callable[[], bool],
                 streams: Callable[[], int] = lambda: 0,
                 store_up: Callable[[], bool] | None = None,
                 max_connections: int | None = None) -> None:
        self.clients = clients
        self.streams = streams
        self.store_up = store_up
        self.max_connections = max_connections
        self.rooms = rooms
        self.queue = queue
        self.draining = draining

    def describe(self) -> list:
        return []  # computed on collect only; nothing to check at registration

    def collect(self) -> Iterator[GaugeMetricFamily]:
        clients = GaugeMetricFamily("chorus_clients", "Open Engine.IO connections in this "
                                    "process, by transport.", labels=["transport"])
        for transport, count in sorted(self.clients().items()):
            clients.add_metric([transport], count)
        yield clients
        yield GaugeMetricFamily("chorus_rooms", "Rooms with members in this process.",
                                value=self.rooms())
        yield GaugeMetricFamily("chorus_event_streams", "Open Server-Sent Events streams "
                                "(GET /api/rooms/<room>/events) in this process.",
                                value=self.streams())
        queue = self.queue()
        if queue is not None:
            yield GaugeMetricFamily("chorus_message_queue_up", "1 while this process is "
                                    "subscribed to the Redis message queue, else 0.",
                                    value=1 if queue else 0)
        yield GaugeMetricFamily("chorus_draining", "1 once this process is stopping (SIGTERM).",
                                value=1 if self.draining() else 0)
        if self.store_up is not None:
            yield GaugeMetricFamily("chorus_store_up", "1 when the store answered this scrape's "
                                    "check (Redis reachable), else 0.",
                                    value=1 if self.store_up() else 0)
        if self.max_connections is not None:
            yield GaugeMetricFamily("chorus_max_connections", "Connections gunicorn's worker "
                                    "accepts at most (CHORUS_WORKER_CONNECTIONS).",
                                    value=self.max_connections)
        yield CounterMetricFamily("chorus_event_loop_blocked", "Times gevent's monitor saw one "
                                  "greenlet hold the event loop past CHORUS_BLOCKING_WARN.",
                                  value=blocked_count())


class TimedStore:
    """A store whose calls are timed into ``chorus_store_seconds``; everything else passes."""

    def __init__(self, store: Any, histogram: Histogram, errors: Counter | None = None) -> None:
        self._store = store
        operations = ("join_state", "changes_after", "apply")
        self._timers = {name: histogram.labels(name) for name in operations}
        self._errors = {name: errors.labels(name) for name in operations} if errors else {}

    def join_state(self, *args: Any, **kwargs: Any) -> Any:
        return self._timed("join_state", self._store.join_state, args, kwargs)

    def changes_after(self, *args: Any, **kwargs: Any) -> Any:
        return self._timed("changes_after", self._store.changes_after, args, kwargs)

    def apply(self, *args: Any, **kwargs: Any) -> Any:
        return self._timed("apply", self._store.apply, args, kwargs)

    def _timed(self, operation: str, call: Callable, args: tuple, kwargs: dict) -> Any:
        with self._timers[operation].time():
            try:
                return call(*args, **kwargs)
            except Exception as exc:
                if getattr(exc, "code", None) == UNAVAILABLE and operation in self._errors:
                    self._errors[operation].inc()
                raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)
