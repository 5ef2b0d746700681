"""How one process stays in step with the others, and catches what it may have missed.

Notices travel over the message queue (app/message_queue.py): "room R changed" and "room R's
presence changed". What a notice sets off is always read from the shared store, so a notice
lost on the way (Redis restarting, a publish that timed out) costs at most one heartbeat: every
few seconds each process renews its presence in Redis and looks again at every room it serves.
On a single process there is no queue, and the heartbeat still picks up writes made to the
store by other programs (app/cli.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from app.broadcast import Broadcaster
from app.presence import Presence

if TYPE_CHECKING:  # the Redis driver is imported only where a queue is configured
    from app.message_queue import ChorusRedisManager

log = logging.getLogger(__name__)

HEARTBEAT = 5.0  # seconds; well inside shared presence's TTL


class Cluster:
    """Notices out and in, plus the heartbeat; started by the first join in this process."""

    def __init__(self, manager: ChorusRedisManager | None, start_task: Callable,
                 sleep: Callable[[float], None], every: float = HEARTBEAT) -> None:
        self.manager = manager
        self._start_task = start_task
        self._sleep = sleep
        self._every = every
        self._started = False
        self.broadcaster: Broadcaster | None = None
        self.presence: Presence | None = None
        if manager is not None:
            manager.on_notice = self.heard
            manager.on_reconnect = self.catch_up

    def attach(self, broadcaster: Broadcaster, presence: Presence) -> None:
        self.broadcaster, self.presence = broadcaster, presence

    def tell_changes(self, room: str) -> None:
        if self.manager is not None:
            self.manager.notify("changes", room)

    def tell_presence(self, room: str) -> None:
        if self.manager is not None:
            self.manager.notify("presence", room)

    def heard(self, kind: str, room: str) -> None:
        """A notice from another process."""
        if kind == "changes":
            self.broadcaster.changed_elsewhere(room)
        elif kind == "presence":
            self.presence.elsewhere(room)

    def catch_up(self) -> None:
        """After losing the queue: whatever was published meanwhile is gone; read it instead."""
        self.presence.refresh()
        self.broadcaster.resync()

    def start(self) -> None:
        if not self._started:
            self._started = True
            self._start_task(self._beat)

    def _beat(self) -> None:
        while True:
            self._sleep(self._every)
            try:
                self.catch_up()
            except Exception:  # the heartbeat must outlive any one failure
                log.exception("heartbeat failed")
