"""The blocked-loop watch: one log line each time a greenlet holds gevent's event loop too long.

Under gevent every client of the process is served by one thread: a blocking call (a C library
that does not yield, a ``time.sleep``, a long SQLite transaction) stops them all, and past
CHORUS_PING_TIMEOUT their pings time out. gevent's monitor thread notices such a stall when
gunicorn.conf.py enables it (CHORUS_BLOCKING_WARN); this turns its event into one line that
names the place to fix.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


class _Stalls:
    """How often this process's event loop was seen blocked: one loop per process, so one
    count per process, read by /metrics (chorus_event_loop_blocked_total)."""

    count = 0


def blocked_count() -> int:
    """Times the event loop was seen blocked since the process started."""
    return _Stalls.count


def watch_event_loop() -> None:
    """Log one line each time gevent's monitor thread sees the event loop blocked.

    The monitor runs only when gunicorn.conf.py enabled it (CHORUS_BLOCKING_WARN); this only
    listens. Safe to call more than once.
    """
    import zope.event

    if _report_blocked not in zope.event.subscribers:
        zope.event.subscribers.append(_report_blocked)


def _report_blocked(event: object) -> None:
    from gevent.events import EventLoopBlocked

    if not isinstance(event, EventLoopBlocked):
        return
    _Stalls.count += 1
    frames = [line.strip() for line in event.info if line.lstrip().startswith("File ")]
    where = frames[-1] if frames else repr(event.greenlet)
    log.warning("event loop blocked for over %.1f s (every client waits meanwhile; pings time "
                "out past CHORUS_PING_TIMEOUT): %s. Fix: make that call cooperative "
                "(gevent-patched I/O, socketio.sleep) or move it off the request path.",
                event.blocking_time, where)
