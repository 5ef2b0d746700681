"""The start-up self-check: how this process is served, and what in that would break clients.

Each of the usual Flask-SocketIO deployment failures that can be seen from inside the process is
turned into one log line at start, with its fix, and into ``/healthz``. gunicorn.conf.py tells the
app which worker class and how many workers it runs with (``GUNICORN_WORKER_CLASS`` and
``GUNICORN_WORKERS``, exported in its ``post_fork`` hook): gunicorn itself does not say. Started
without that file (``gunicorn -k gevent wsgi:app``), the same facts are read from the gunicorn
arbiter that forked this worker.

What the check claims it also confirms: "websocket" means that the server in use can upgrade a
request, not only that the async mode has a WebSocket driver. Chorus's worker marks every request
it hands the app (``UPGRADE_MARK``, set in chorus_worker.py); the first request the app serves
without that mark, from a server that cannot upgrade (``flask run``, gunicorn's own workers),
turns the report to ``websocket: false`` with the fix, in the log and in /healthz.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from werkzeug.utils import import_string

log = logging.getLogger(__name__)

# The worker gunicorn.conf.py names (gevent-websocket's, with a message-size cap), and the class it
# extends: any subclass of that one can upgrade requests to WebSocket.
WEBSOCKET_WORKER = "chorus_worker.GeventWebSocketWorker"
UPGRADING_WORKER = "geventwebsocket.gunicorn.workers.GeventWebSocketWorker"
# Set to True in the environ of every request by chorus_worker.py's handler, which can upgrade.
UPGRADE_MARK = "chorus.can_upgrade"
RUN_IT_RIGHT = "use `make run`, or `gunicorn -c gunicorn.conf.py wsgi:app`"


@dataclass
class ServingReport:
    """What the self-check found; ``problems`` empty means nothing is known to be wrong."""

    async_mode: str
    worker_class: str | None
    workers: int | None
    websocket: bool
    message_queue: str | None
    problems: list[str] = field(default_factory=list)
    server: str | None = None  # what served the first request (its SERVER_SOFTWARE)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_serving(environ: Mapping[str, str], async_mode: str, driver_websocket: bool,
                  message_queue: str | None, argv: Sequence[str] | None = None) -> ServingReport:
    """Inspect how gunicorn runs this process; returns the report with a fix for each problem."""
    worker_class = environ.get("GUNICORN_WORKER_CLASS") or None
    workers_text = environ.get("GUNICORN_WORKERS")
    workers = int(workers_text) if workers_text and workers_text.isdigit() else None
    if worker_class is None:
        worker_class, workers = gunicorn_arbiter_facts()
    dev_server = flask_run(sys.argv if argv is None else argv)
    websocket = driver_websocket and not dev_server and (
        worker_class is None or _upgrades(worker_class))
    report = ServingReport(async_mode, worker_class, workers, websocket, message_queue)
    if dev_server:
        report.problems.append(
            "`flask run` serves pages with Werkzeug's development server, which cannot upgrade "
            f"requests to WebSocket: every websocket handshake fails. Fix: {RUN_IT_RIGHT}.")
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
            f"every client falls back to long-polling. Fix: {RUN_IT_RIGHT} (it sets "
            f"worker_class = \"{WEBSOCKET_WORKER}\"; do not pass -k).")
    if async_mode != "gevent" and worker_class is not None:
        report.problems.append(
            f"Flask-SocketIO runs in async mode {async_mode!r} under gunicorn's gevent worker: "
            "blocking calls will stall every client. Fix: CHORUS_ASYNC_MODE=gevent.")
    return report


def confirm_upgrades(report: ServingReport, environ: Mapping[str, Any]) -> None:
    """Check the report against a request as it reached the app (the first one is enough)."""
    if report.server is not None:
        return
    report.server = str(environ.get("SERVER_SOFTWARE") or "unknown")
    if report.websocket and not environ.get(UPGRADE_MARK) and not (
            report.worker_class and _upgrades(report.worker_class)):
        report.websocket = False
        problem = (f"this server ({report.server}) cannot upgrade requests to WebSocket: "
                   f"clients fall back to long-polling, websocket handshakes fail. Fix: "
                   f"{RUN_IT_RIGHT}.")
        report.problems.append(problem)
        log.error("self-check: %s", problem)


def gunicorn_arbiter_facts() -> tuple[str | None, int | None]:
    """The worker class and worker count of the gunicorn that forked this process, read from
    its arbiter (a copy of which every worker holds), for a start without gunicorn.conf.py;
    (None, None) when this is not a gunicorn worker."""
    arbiter_module = sys.modules.get("gunicorn.arbiter")
    if arbiter_module is None:
        return None, None
    for candidate in gc.get_objects():
        if isinstance(candidate, arbiter_module.Arbiter):
            if getattr(candidate, "pid", None) == os.getpid():
                return None, None  # the master itself (preload_app): no worker yet
            cfg = candidate.cfg
            try:
                cls = cfg.worker_class
                return f"{cls.__module__}.{cls.__qualname__}", cfg.workers
            except Exception:  # a class gunicorn could not load would not have forked us
                return cfg.worker_class_str, cfg.workers
    return None, None


def flask_run(argv: Sequence[str]) -> bool:
    """Whether this process is ``flask run`` (or ``python -m flask run``)."""
    if not argv:
        return False
    program = os.path.basename(argv[0])
    is_flask = program == "flask" or argv[0].endswith(os.path.join("flask", "__main__.py"))
    return is_flask and "run" in argv[1:]


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
