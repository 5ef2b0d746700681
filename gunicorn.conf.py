"""gunicorn settings for Chorus: one gevent-websocket worker holding many connections.

gunicorn's master imports this file before any monkey patching and before the app exists, so it
imports nothing from app/ and reads its few settings from the environment itself. Each choice
below says why it differs from gunicorn's default. Start: ``.venv/bin/gunicorn -c gunicorn.conf.py
wsgi:app`` (a ``-b HOST:PORT`` on that command line overrides ``bind``).
"""

import os
import resource
import sys

import chorus_logs

# Where to listen. 127.0.0.1 keeps a laptop private; CHORUS_BIND=0.0.0.0:5000 serves the LAN.
bind = os.environ.get("CHORUS_BIND", "127.0.0.1:5000")

# gevent-websocket's worker: gevent's pywsgi server with the handler that can upgrade a request
# to a WebSocket. gunicorn's plain "gevent" worker would serve polling but fail every upgrade.
# chorus_worker.py subclasses it to refuse oversize websocket messages from the frame header
# (CHORUS_MAX_MESSAGE) before reading them.
worker_class = "chorus_worker.GeventWebSocketWorker"

# Exactly one worker. Socket.IO keeps each client's session in the memory of the process that
# accepted it, and gunicorn does not send a polling client's next request to the same worker.
# For more capacity run several single-worker gunicorns behind Nginx's sticky upstream.
workers = 1

# gunicorn's default of 1000 silently stops accepting the 1001st connection. A polling client
# can hold two (a long-poll GET and a POST); 20000 covers 10,000 clients.
worker_connections = int(os.environ.get("CHORUS_WORKER_CONNECTIONS", "20000"))

# Open websockets would otherwise hold a stop or restart for the default 30 s.
graceful_timeout = int(os.environ.get("CHORUS_GRACEFUL_TIMEOUT", "5"))

# gunicorn 27 opens a control socket at one shared default path, and each new instance removes
# the previous one's. Off unless a per-instance path is given.
_control_socket = os.environ.get("CHORUS_CONTROL_SOCKET", "")
if _control_socket:
    control_socket = _control_socket
else:
    control_socket_disable = True

# gevent's monitor thread watches for a greenlet that keeps the event loop too long (a blocking
# call): while it runs, no other client is served and pings time out. app/ops/blocked_loop.py turns
# each such event into one log line; gevent's own multi-line report is switched off.
_blocking = float(os.environ.get("CHORUS_BLOCKING_WARN", "1.0"))
if _blocking > 0:
    os.environ.setdefault("GEVENT_MONITOR_THREAD_ENABLE", "true")
    os.environ.setdefault("GEVENT_MAX_BLOCKING_TIME", str(_blocking))
    os.environ.setdefault("GEVENT_MONITOR_PRINT_BLOCKING_REPORTS", "false")

# Logs go to stdout, one line each, for journald or a container runtime to collect: text, or
# one JSON object per line with CHORUS_LOG_FORMAT=json (chorus_logs.py, for every logger here).
loglevel = os.environ.get("CHORUS_LOG_LEVEL", "info")
_access = os.environ.get("CHORUS_ACCESS_LOG", "").lower() in ("1", "true", "yes", "on")
accesslog = "-" if _access else None
logconfig_dict = chorus_logs.logging_config(
    loglevel, os.environ.get("CHORUS_LOG_FORMAT", "text").strip().lower(), _access)


def post_fork(server, worker):
    """Tell the app how it is served, for its start-up self-check and /healthz
    (app/ops/selfcheck.py) and the links it logs: gunicorn does not expose its worker class,
    worker count or actual bind (a -b on the command line wins over CHORUS_BIND) to the
    application."""
    cls = type(worker)
    os.environ["GUNICORN_WORKER_CLASS"] = f"{cls.__module__}.{cls.__qualname__}"
    os.environ["GUNICORN_WORKERS"] = str(server.cfg.workers)
    os.environ["GUNICORN_BIND"] = server.cfg.bind[0] if server.cfg.bind else ""
    _drain_on_sigterm(worker)


def _drain_on_sigterm(worker):
    """On SIGTERM, run the app's drain (app/transport/connections.py): refuse new events, let those
    in flight finish, drop every connection so clients reconnect elsewhere or after the restart,
    then end the worker.

    gunicorn gives the application no SIGTERM hook: its worker only sets ``alive = False``, stops
    accepting within a second and then waits up to graceful_timeout for connections that, being
    websockets or idle keep-alives, never end by themselves. The worker's handler is wrapped
    here, before init_process installs it; the app (``worker.wsgi``) is loaded by then."""
    stop = worker.handle_exit
    import greenlet  # (gevent's own dependency) the worker's main greenlet is this one

    main = greenlet.getcurrent()

    def handle_exit(sig, frame):
        stop(sig, frame)
        extensions = getattr(getattr(worker, "wsgi", None), "extensions", {})
        if "chorus.drain" not in extensions:
            return
        extensions["chorus.traffic"].stop_admitting()  # at once: no event starts after this
        import gevent  # the worker runs on gevent; imported here, after its patching

        def drain_then_exit():
            extensions["chorus.drain"]()
            gevent.sleep(0.5)  # the last answers (acks, refusals) leave the socket buffers
            # Every acknowledged write is committed and nothing runs: what is left are idle
            # keep-alive connections, which would hold the exit for graceful_timeout. The
            # worker's main greenlet leaves its loop as on any exit (gunicorn logs "Worker
            # exiting" and runs worker_exit).
            main.throw(SystemExit(0))

        gevent.spawn(drain_then_exit)  # out of the signal handler, as gunicorn does for SIGQUIT

    worker.handle_exit = handle_exit


def on_starting(server):
    """Raise the open-file limit as far as allowed: each connection is a file descriptor."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 1048576)
    if soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError) as exc:
            server.log.warning("could not raise the open-file limit from %s: %s", soft, exc)
    needed = server.cfg.worker_connections
    if soft < needed:
        server.log.warning(
            "open-file limit %s is below worker_connections %s: connections past it will be "
            "refused. Raise it (ulimit -n, or LimitNOFILE= in the systemd unit).", soft, needed)
    else:
        server.log.info("open-file limit %s, worker_connections %s", soft, needed)
    sys.stdout.flush()
