"""The Chorus app factory: config, then transport, Flask-SocketIO, store, namespaces, blueprints.

``create_app`` is the only place an app is put together; wsgi.py calls it once for gunicorn and
tests call it with their own config. Each layer (docs/architecture.md) is built by one step
below, in the order the layers need each other. Nothing here monkey-patches (wsgi.py does,
first) and nothing starts a greenlet: batches and presence start their timers on first use.

The core is plain Flask-SocketIO, as in any tutorial: ``socketio.init_app``, a store opened
from a URL, ``Rooms`` over it and one ``Namespace`` class registered with
``socketio.on_namespace``. Everything else Chorus adds is wired around that core here.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from app.audience.demo import DEMO_ROOM, seed_demo
from app.audience.expiry import Expiry
from app.audience.wiring import Audience, build_audience
from app.cluster.notices import Cluster
from app.config import (
    DEFAULTS,
    SettingError,
    default_secret_key,
    message_queue_url,
    redacted,
    settings_from_environ,
)
from app.extensions import babel, socketio
from app.namespaces.board import BoardNamespace
from app.namespaces.poll import PollNamespace
from app.namespaces.pulse import PulseNamespace
from app.namespaces.qa import QANamespace
from app.namespaces.sync import SyncNamespace
from app.ops.blocked_loop import watch_event_loop
from app.ops.diagnostics import ProxyDiagnostics
from app.ops.metrics import Metrics, TimedStore
from app.ops.selfcheck import check_serving, confirm_upgrades, log_report
from app.state import Hashes, Limits, Store, open_hashes, open_store
from app.state.errors import ChorusError
from app.sync.broadcast import Broadcaster
from app.sync.coalescer import Coalescer
from app.sync.presence import Presence
from app.sync.rooms import Rooms
from app.sync.streams import Streams
from app.transport import engineio_rules
from app.transport.addresses import AddressBudget
from app.transport.connections import ConnectionGate, clients_by_transport
from app.transport.origins import origin_check
from app.transport.packets import ChorusPacket
from app.transport.polling_posts import PollingBodyLimit, allow_full_polling_posts
from app.transport.traffic import Traffic
from app.web import api, events, headers, health, locale, pages
from app.web import audience as audience_pages
from app.web import board as board_file
from app.web import cohost as cohost_pages
from app.web import decks as deck_files
from app.web import metrics as metrics_page
from app.web.context import Services

if TYPE_CHECKING:  # the Redis driver is imported only where a queue is configured
    from app.cluster.message_queue import ChorusRedisManager

__version__ = "0.1.0"

log = logging.getLogger(__name__)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build an app: defaults, then CHORUS_* from the environment, then ``config``."""
    app = Flask(__name__, template_folder="../templates", static_folder="../static")
    app.config.from_mapping(DEFAULTS)
    app.config.update(settings_from_environ(os.environ))
    app.config.update(config or {})
    app.config.setdefault("VERSION", __version__)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024  # HTTP API bodies; a value is at most 4 KiB

    _check_redis_urls(app)
    manager = _message_queue(app)
    _init_transport(app)
    _init_socketio(app, manager)

    metrics = Metrics()
    traffic = Traffic(app.config["EVENT_RATE"], app.config["EVENT_BURST"],
                      byte_rate=app.config["BYTE_RATE"], byte_burst=app.config["BYTE_BURST"],
                      on_read_delay=metrics.read_delayed)
    gate = _wrap_wsgi(app, traffic, metrics)
    app.extensions["chorus.metrics"] = metrics
    app.extensions["chorus.traffic"] = traffic
    app.extensions["chorus.byte_budget"] = traffic.byte_budget  # chorus_worker.py

    store = open_store(app.config["STORE"], Limits(
        log_size=app.config["LOG_SIZE"], max_keys=app.config["MAX_KEYS"],
        max_rooms=app.config["MAX_ROOMS"], op_ttl=app.config["OP_TTL"]))
    hashes = open_hashes(app.config["STORE"])
    _settle_secret_key(app, hashes)
    room_budget = AddressBudget(app.config["ROOM_RATE"], app.config["ROOM_BURST"],
                                "rooms created from this address")
    rooms, audience = _build_layers(app, _timed(store, metrics), hashes, manager, traffic,
                                    metrics, room_budget)
    app.extensions["chorus"] = Services(store=store, hashes=hashes, rooms=rooms,
                                        audience=audience, room_budget=room_budget)
    app.extensions["chorus.expiry"] = _expiry(app, store, hashes, rooms)
    app.extensions["chorus.drain"] = _drain(rooms, gate)  # on SIGTERM (gunicorn.conf.py)
    _watch(metrics, rooms, manager, traffic, store, app.config["WORKER_CONNECTIONS"])
    _init_languages(app)
    _register_blueprints(app)

    if app.config["SEED_DEMO"]:
        seed_demo(audience.boards, audience.presenters, base_url(app.config))
    log.info("chorus %s: store %s", __version__, redacted(app.config["STORE"]))
    _check_serving(app, manager)
    watch_event_loop()
    return app


def base_url(config: Mapping[str, Any]) -> str:
    """Where this server can be reached, for links in the log: CHORUS_PUBLIC_URL, else the
    address gunicorn listens on (0.0.0.0 shown as 127.0.0.1)."""
    if config["PUBLIC_URL"]:
        return config["PUBLIC_URL"].rstrip("/")
    bind = os.environ.get("GUNICORN_BIND") or os.environ.get("CHORUS_BIND") or "127.0.0.1:5000"
    host, _, port = bind.rpartition(":")
    if host in ("", "0.0.0.0", "[::]"):
        host = "127.0.0.1"
    return f"http://{host}:{port}"


def websocket_driver() -> bool:
    """Whether Engine.IO has a WebSocket implementation in this async mode."""
    return socketio.server.eio._async.get("websocket") is not None


def _check_redis_urls(app: Flask) -> None:
    """A malformed Redis URL, or a Sentinel master name no Sentinel knows, stops the start with
    one line naming the setting (SettingError); Sentinels that do not answer yet are logged as
    a self-check problem, and /healthz reports the store unreachable until they do."""
    from app.state.redis_connection import check_url, is_redis_url, probe_sentinels

    urls = {"CHORUS_STORE": app.config["STORE"],
            "CHORUS_MESSAGE_QUEUE": message_queue_url(app.config)}
    for name, url in urls.items():
        if not url or not is_redis_url(url):
            continue
        try:
            check_url(url)
            problem = probe_sentinels(url)
        except ValueError as exc:
            raise SettingError(f"{name}={redacted(url)!r}: {exc}") from None
        if problem:
            log.error("self-check: %s: %s", name, problem)


def _message_queue(app: Flask) -> ChorusRedisManager | None:
    """Several processes: the Redis queue Flask-SocketIO emits through and Chorus's notices
    travel on (app/cluster/message_queue.py). None on a single process."""
    url = message_queue_url(app.config)
    if not url:
        return None
    from app.cluster.message_queue import ChorusRedisManager

    return ChorusRedisManager(url)


def _init_transport(app: Flask) -> None:
    """Process-wide transport settings, before init_app creates the Engine.IO server."""
    allow_full_polling_posts(app.config["MAX_PAYLOAD"])
    if app.config["ASYNC_MODE"] == "gevent" and app.config["LEAN_SOCKETS"]:
        from app.transport import lean_socket

        lean_socket.LeanSocket.max_backlog = app.config["MAX_BACKLOG"]
        lean_socket.LeanSocket.min_poll_interval = app.config["POLL_INTERVAL"]
        lean_socket.LeanSocket.on_drop = staticmethod(
            lambda: app.extensions["chorus.metrics"].dropped.labels("backlog").inc())
        lean_socket.install()
    else:
        engineio_rules.install()  # Engine.IO's own sockets, with the protocol's rules


def _init_socketio(app: Flask, manager: ChorusRedisManager | None) -> None:
    """Bind Flask-SocketIO; every option here is a choice explained beside it."""
    socketio.init_app(
        app,
        client_manager=manager,  # None: python-socketio's in-memory manager, one process
        async_mode=app.config["ASYNC_MODE"],
        # One connection's events run one after another, in the order it sent them: the
        # contract promises that writes of one connection apply in order.
        async_handlers=False,
        cors_allowed_origins=origin_check(app.config["ALLOWED_ORIGINS"]),
        max_http_buffer_size=app.config["MAX_PAYLOAD"],
        ping_interval=app.config["PING_INTERVAL"],
        ping_timeout=app.config["PING_TIMEOUT"],
        # Our namespaces do not use Flask's session; copying it per event costs time for nothing.
        manage_session=False,
        # Undecodable events are answered bad_request rather than dropped (transport/packets.py).
        serializer=ChorusPacket,
        logger=False,
        engineio_logger=False,
    )
    # app/transport/origins.py logs every refused origin itself; Engine.IO would log the first
    # one again (and only the first), so its once-only message is marked as already said.
    socketio.server.eio.log_message_keys.add("bad-origin")
    # Requests the Engine.IO protocol refuses get its 400 (app/transport/engineio_rules.py).
    engineio_rules.strict_requests(socketio.server.eio)


def _wrap_wsgi(app: Flask, traffic: Traffic, metrics: Metrics) -> ConnectionGate:
    """Middleware around the Socket.IO middleware that init_app installed; returns the gate.

    Each layer is installed as its bound ``__call__``, not as the object. A websocket's
    greenlet sleeps inside every layer for the life of the connection, and gevent keeps a copy
    of that greenlet's C stack: Python 3.11 runs a call to a function or bound method in the
    same C frame, while calling an object goes through C and adds about 0.8 KiB to each
    connection's stack (bench/RESULTS.md, "flat middleware").
    """
    # Innermost: an oversize polling POST is answered 413 before Engine.IO reads any of it.
    app.wsgi_app = PollingBodyLimit(app.wsgi_app.__call__, app.config["MAX_PAYLOAD"]).__call__
    # New Engine.IO sessions: refused while draining or over the per-address cap.
    gate = ConnectionGate(app.wsgi_app, socketio.server.eio, traffic,
                          app.config["MAX_CONNECTIONS_PER_ADDRESS"],
                          on_refused=lambda reason: metrics.refused.labels(reason).inc(),
                          origin_allowed=origin_check(app.config["ALLOWED_ORIGINS"]),
                          proxies=app.config["PROXIES"])
    app.extensions["chorus.websocket_admission"] = gate.admit_websocket  # chorus_worker.py
    diagnostics = ProxyDiagnostics(gate.__call__, sessions=lambda: socketio.server.eio.sockets)
    app.wsgi_app = diagnostics.__call__
    app.extensions["chorus.diagnostics"] = diagnostics
    if app.config["PROXIES"]:
        # After init_app, which replaced app.wsgi_app with the Socket.IO middleware: ProxyFix
        # must wrap that (outermost), so Engine.IO's origin check, the diagnostics and the logs
        # see the client's scheme and address, trusting exactly the proxies that exist.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXIES"],
                                x_proto=app.config["PROXIES"]).__call__
    return gate


def _drain(rooms: Rooms, gate: ConnectionGate):
    """A graceful stop: event streams end (their readers resume from Last-Event-ID), then the
    sockets are drained; returns how many sockets were closed."""
    def drain() -> int:
        rooms.streams.close_all()
        return gate.drain()
    return drain


def _timed(store: Store, metrics: Metrics) -> Store:
    """The store as the layers above use it: every call timed into /metrics."""
    return TimedStore(store, metrics.store_seconds, metrics.store_errors)


def _settle_secret_key(app: Flask, hashes: Hashes) -> None:
    """CHORUS_SECRET_KEY, else one made once and kept in the store: device cookies then stay
    valid across restarts and across every process sharing the store."""
    if not app.config["SECRET_KEY"]:
        try:
            hashes.hsetnx("meta", "secret_key", default_secret_key())
            app.config["SECRET_KEY"] = hashes.hget("meta", "secret_key")
        except ChorusError as exc:  # the store is down at start: serve, and say what it costs
            app.config["SECRET_KEY"] = default_secret_key()
            log.error("secret key not shared (%s): device cookies of this process are valid "
                      "here only, until it restarts; set CHORUS_SECRET_KEY to avoid this",
                      exc.message)


def _build_layers(app: Flask, store: Store, hashes: Hashes, manager: ChorusRedisManager | None,
                  traffic: Traffic, metrics: Metrics,
                  room_budget: AddressBudget) -> tuple[Rooms, Audience]:
    """Sync, cluster and audience over the store, and every namespace on Socket.IO; returns
    the rooms and audience mode, which the views use too."""
    def emit(event: str, data: dict, room: str, namespace: str = "/sync",
             everywhere: bool = False) -> None:
        # Local members only, unless ``everywhere``: each process builds its own updates from
        # the shared store, so the message queue carries notices, not states (reactions, which
        # are not stored, are the exception).
        if event == "changes":
            metrics.batch_changes.observe(len(data["changes"]))
            streams.publish(room, data)  # the room's event-stream readers get the same batch
        socketio.emit(event, data, to=room, namespace=namespace, ignore_queue=not everywhere)

    def coalescer_for(interval: float, flush, min_interval: float | None = None,
                      cost_factor: float | None = None) -> Coalescer:
        return Coalescer(interval, flush, socketio.start_background_task, socketio.sleep,
                         min_interval=min_interval, cost_factor=cost_factor)

    streams = Streams(app.config["MAX_STREAMS"], app.config["MAX_BACKLOG"],
                      app.config["PING_TIMEOUT"], socketio.start_background_task, socketio.sleep,
                      on_drop=lambda: metrics.dropped.labels("stream").inc())
    cluster = Cluster(manager, socketio.start_background_task, socketio.sleep)
    counter = None
    if manager is not None:  # presence counted across processes, in the queue's Redis
        from app.cluster.shared_presence import SharedPresence

        counter = SharedPresence(manager.redis_url, manager.host_id)
    broadcaster = Broadcaster(store, emit, coalescer_for, app.config["TICK"],
                              tell_others=cluster.teller("changes"))
    presence = Presence(emit, coalescer_for, app.config["PRESENCE_INTERVAL"], counter=counter,
                        tell_others=cluster.teller("presence"))
    cluster.listen("changes", broadcaster.changed_elsewhere, broadcaster.resync)
    cluster.listen("presence", presence.elsewhere, presence.refresh)
    rooms = Rooms(store, broadcaster, presence, app.config["MAX_ROOMS_PER_CONNECTION"],
                  start_heartbeat=cluster.start, streams=streams, room_budget=room_budget)
    audience = build_audience(
        hashes, app.config["SECRET_KEY"], cluster, coalescer_for,
        lambda namespace, event, data, room, everywhere: emit(event, data, room, namespace,
                                                              everywhere))
    audience.boards.rooms = rooms  # approvals and resets are written as /sync changes
    rooms.policy = audience.board_policy  # each control's mode, checked in Rooms.write
    parts = {"presenters": audience.presenters, "devices": audience.devices}
    namespaces = (SyncNamespace(rooms),
                  PollNamespace(audience.polls, audience.decks, feed=audience.poll_feed,
                                **parts),
                  QANamespace(audience.questions, feed=audience.qa_feed, **parts),
                  PulseNamespace(audience.pulse, feed=audience.pace_feed, **parts),
                  BoardNamespace(audience.boards, feed=audience.board_feed, **parts))
    for namespace in namespaces:
        namespace.traffic = traffic
        namespace.metrics = metrics
        socketio.on_namespace(namespace)
    return rooms, audience


def _watch(metrics: Metrics, rooms: Rooms, manager: ChorusRedisManager | None,
           traffic: Traffic, store: Store, max_connections: int) -> None:
    """The gauges /metrics reads when scraped."""
    def store_up() -> bool:
        try:
            store.check()
        except ChorusError:
            return False
        return True

    metrics.watch(clients=lambda: clients_by_transport(socketio.server.eio),
                  rooms=rooms.broadcaster.following,
                  queue=lambda: manager.connected_to_queue if manager is not None else None,
                  draining=lambda: traffic.draining, streams=rooms.streams.count,
                  store_up=store_up, max_connections=max_connections)


def _init_languages(app: Flask) -> None:
    """Flask-Babel with Chorus's locale selector (app/web/locale.py); every page says its
    locale in ``<html lang>`` and remembers a ``?lang=`` switch."""
    app.extensions["chorus.locales"] = locale.available_locales(app)
    babel.init_app(app, default_locale=locale.DEFAULT_LOCALE,
                   locale_selector=locale.select_locale)
    app.context_processor(locale.locale_context)
    app.after_request(locale.remember_switch)


def _register_blueprints(app: Flask) -> None:
    """Pages, audience pages, deck files and exports, the page scripts' catalogues, the JSON
    API and its event streams, /healthz and /metrics, all with the security headers
    (app/web/headers.py)."""
    for module in (pages, audience_pages, cohost_pages, deck_files, board_file, locale, api,
                   events, health, metrics_page):
        app.register_blueprint(module.bp)
    headers.init_app(app)


def _expiry(app: Flask, store: Store, hashes: Hashes, rooms: Rooms) -> Expiry:
    """Idle rooms removed after CHORUS_ROOM_TTL (app/audience/expiry.py). The sweeps start
    with the first request or the first join, like every other timer here."""
    def occupied() -> set[str]:
        # Every namespace's Socket.IO rooms here, less each connection's own room (named by
        # its sid) and the audience's "<room>#present" suffix; and the event streams' rooms.
        found = set(rooms.streams.watched_rooms()) if rooms.streams else set()
        for members_by_room in list(socketio.server.manager.rooms.values()):
            for name, members in list(members_by_room.items()):
                if name is not None and name not in members:
                    found.add(name.partition("#")[0])
        return found

    expiry = Expiry(store, hashes, app.config["ROOM_TTL"], occupied, keep={DEMO_ROOM})

    def start() -> None:
        expiry.start(socketio.start_background_task, socketio.sleep)

    app.before_request(start)
    heartbeat = rooms.start_heartbeat
    rooms.start_heartbeat = lambda: (heartbeat(), start())
    return expiry


def _check_serving(app: Flask, manager: ChorusRedisManager | None) -> None:
    """The start-up self-check: logged once, and kept for /healthz."""
    report = check_serving(os.environ, socketio.async_mode, websocket_driver(),
                           message_queue=redacted(manager.redis_url) if manager else None)
    app.extensions["chorus.serving"] = report
    log_report(report)

    @app.before_request
    def _confirm_upgrades() -> None:
        # The first page or /healthz shows what really serves us (app/ops/selfcheck.py).
        if report.server is None:
            confirm_upgrades(report, request.environ)
