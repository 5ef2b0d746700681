"""``GET /healthz``: 200 when this process can serve, 503 when it cannot, and why, as JSON."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from app.errors import ChorusError
from app.extensions import socketio
from app.services import services
from app.state import store_kind

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Report the async mode, websocket support, store reachability and version."""
    store_ok, store_error = True, None
    try:
        services().store.check()
    except ChorusError as exc:
        store_ok, store_error = False, exc.message
    body = {
        "ok": store_ok,
        "async_mode": socketio.async_mode,
        "websocket": websocket_available(),
        "store": store_ok,
        "store_backend": store_kind(current_app.config["STORE"]),
        "version": current_app.config["VERSION"],
    }
    if store_error:
        body["store_error"] = store_error
    return jsonify(body), 200 if store_ok else 503


def websocket_available() -> bool:
    """Whether Engine.IO can upgrade to websocket in this async mode."""
    return socketio.server.eio._async.get("websocket") is not None
