"""``GET /metrics``: the app's counters in Prometheus's text format (app/ops/metrics.py).

Readable from the networks in CHORUS_METRICS_ALLOW (loopback by default, the address being the
one ProxyFix gives, so the client's behind Nginx) or with ``Authorization: Bearer
<CHORUS_METRICS_TOKEN>`` from anywhere; otherwise 403 with a JSON body. nginx/chorus.conf also
refuses the path, so scrapes go to gunicorn's own port.
"""

from __future__ import annotations

import hmac
import ipaddress

from flask import Blueprint, Response, current_app, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics():
    # Both the peer and the address ProxyFix took from X-Forwarded-For must be allowed: a
    # client reaching gunicorn's port directly cannot claim to be 127.0.0.1, and a client
    # coming through a local Nginx is judged by its own address.
    peer = request.environ.get("werkzeug.proxy_fix.orig", {}).get("REMOTE_ADDR")
    addresses = {request.remote_addr or "", peer or request.remote_addr or ""}
    token = request.headers.get("Authorization", "")
    if not (_token_ok(token) or all(_network_ok(address) for address in addresses)):
        return jsonify({"ok": False, "error": {
            "code": "forbidden",
            "message": "/metrics is readable from CHORUS_METRICS_ALLOW networks, or with "
                       "Authorization: Bearer <CHORUS_METRICS_TOKEN>"}}), 403
    registry = current_app.extensions["chorus.metrics"].registry
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def _token_ok(authorization: str) -> bool:
    token = current_app.config["METRICS_TOKEN"]
    return bool(token) and authorization.startswith("Bearer ") and \
        hmac.compare_digest(authorization[7:].strip().encode(), token.encode())


def _network_ok(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for network in current_app.config["METRICS_ALLOW"]:
        try:
            if ip in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            continue
    return False
