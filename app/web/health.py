"""``GET /healthz``: 200 when this process can serve, 503 when it cannot, and why, as JSON.

Not ok: the store cannot be reached, or the start-up self-check (app/ops/selfcheck.py) found a
deployment that breaks clients (several workers, a worker that cannot upgrade to WebSocket).
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from app.extensions import socketio
from app.state import store_kind
from app.state.errors import ChorusError
from app.web.context import services

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Report the async mode, websocket support, store reachability and version."""
    store_ok, store_error = True, None
    try:
        services().store.check()
    except ChorusError as exc:
        store_ok, store_error = False, exc.message
    serving = current_app.extensions["chorus.serving"]
    problems = list(serving.problems)
    if store_error:
        problems.append(store_error)
    if current_app.extensions["chorus.traffic"].draining:
        problems.append("draining: this process is stopping (SIGTERM)")
    body = {
        "ok": not problems,
        "async_mode": serving.async_mode,
        "websocket": serving.websocket,
        "store": store_ok,
        "store_backend": store_kind(current_app.config["STORE"]),
        "worker_class": serving.worker_class,
        "server": serving.server,
        "workers": serving.workers,
        "message_queue": serving.message_queue,
        "version": current_app.config["VERSION"],
        "problems": problems,
        "connections": len(socketio.server.eio.sockets),
        "proxy_diagnostics": current_app.extensions["chorus.diagnostics"].counts,
    }
    return jsonify(body), 200 if not problems else 503
