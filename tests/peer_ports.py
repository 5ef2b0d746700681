"""A gunicorn entry for tests, ``tests.peer_ports:app``: Chorus from wsgi.py (patched first, as
always), with each request's peer port counted, so a test can tell how many TCP connections its
requests arrived on, e.g. whether Nginx reuses its upstream connections. The count is read at
``GET /_test/peer-ports`` on gunicorn's own port (a JSON object: port -> requests)."""

from __future__ import annotations

import json
from collections import Counter

import wsgi

app = wsgi.app
_ports: Counter[str] = Counter()
_chorus = app.wsgi_app


def _counting(environ, start_response):
    if environ.get("PATH_INFO") == "/_test/peer-ports":
        body = json.dumps(_ports).encode()
        start_response("200 OK", [("Content-Type", "application/json"),
                                  ("Content-Length", str(len(body)))])
        return [body]
    _ports[environ.get("REMOTE_PORT", "?")] += 1
    return _chorus(environ, start_response)


app.wsgi_app = _counting
