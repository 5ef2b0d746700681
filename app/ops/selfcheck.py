"""The start-up self-check: how this process is served, and what in that would break clients.

Each of the usual Flask-SocketIO deployment failures that can be seen from inside the process is
turned into one log line at start, with its fix, and into ``/healthz``. gunicorn.conf.py tells the
app which worker class and how many workers it runs with (``GUNICORN_WORKER_CLASS`` and
``GUNICORN_WORKERS``, exported in its ``post_fork`` hook): gunicorn itself does not say.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from werkzeug.utils import import_string

log = logging.getLogger(__name__)

# The worker gunicorn.conf.py names (gevent-websocket's, with a message-size cap), and the class it
# extends: any subclass of that one can upgrade requests to WebSocket.
WEBSOCKET_WORKER = "chorus_worker.GeventWebSocketWorker"
UPGRADING_WORKER = "geventwebsocket.gunicorn.workers.GeventWebSocketWorker"


@dataclass
class ServingReport:
    """What the self-check found; ``problems`` empty means nothing is known to be wrong."""

    async_mode: str
    worker_class: str | None
    workers: int | None
    websocket: bool
    message_queue: str | None
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_serving(environ: Mapping[str, str], async_mode: str, driver_websocket: bool,
                  message_queue: str | None) -> ServingReport:
    """Inspect how gunicorn runs this process; returns the report with a fix for each problem."""
    worker_class = environ.get("GUNICORN_WORKER_CLASS") or None
    workers_text = environ.get("GUNICORN_WORKERS")
    workers = int(workers_text) if workers_text and workers_text.isdigit() else None
    websocket = driver_websocket and (worker_class is None or _upgrades(worker_class))
    report = ServingReport(async_mode, worker_class, workers, websocket, message_queue)
    if workers is not None and workers > 1:
        report.problems.append(
            f"gunicorn runs {workers} workers in one process group: Socket.IO clients will "
            "fail, because gunicorn does not send a polling client's requests back to the "
            "worker that holds its session (a message queue does not fix this). Fix: "
            "workers = 1, and for more capacity run several single-worker gunicorns behind "
            "Nginx's sticky upstream (nginx/chorus-cluster.conf).")
    if worker_class is not None and not _upgrades(worker_class):
        report.problems.append(
            f"gunicorn worker class {worker_class} cannot upgrade requests to WebSocket, so "
            f"every client falls back to long-polling. Fix: worker_class = \"{WEBSOCKET_WORKER}"
            "\" (gunicorn.conf.py sets it; do not pass -k).")
    if async_mode != "gevent" and worker_class is not None:
        report.problems.append(
            f"Flask-SocketIO runs in async mode {async_mode!r} under gunicorn's gevent worker: "
            "blocking calls will stall every client. Fix: CHORUS_ASYNC_MODE=gevent.")
    return report


def log_report(report: ServingReport) -> None:
    """One line for the facts, one error line per problem."""
    log.info("serving: async mode %s, worker %s x %s, websocket %s, message queue %s",
             report.async_mode, report.worker_class or "unknown (not gunicorn.conf.py)",
             report.workers if report.workers is not None else "?",
             "yes" if report.websocket else "NO", report.message_queue or "none")
    for problem in report.problems:
        log.error("self-check: %s", problem)


def _upgrades(worker_class: str) -> bool:
    """Whether a gunicorn worker class is gevent-websocket's (or a subclass of it)."""
    try:
        cls = import_string(worker_class)
        base = import_string(UPGRADING_WORKER)
    except ImportError:
        return worker_class.endswith("GeventWebSocketWorker")
    return isinstance(cls, type) and issubclass(cls, base)
