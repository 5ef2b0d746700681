"""How one process stays in step with the others, and catches what it may have missed.

Notices travel over the message queue (app/cluster/message_queue.py): "room R changed" and "room R's
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

if TYPE_CHECKING:  # the Redis driver is imported only where a queue is configured
    from app.cluster.message_queue import ChorusRedisManager

log = logging.getLogger(__name__)

HEARTBEAT = 5.0  # seconds; well inside shared presence's TTL


class Cluster:
    """Notices out and in, plus the heartbeat; started by the first join in this process.

    Each kind of shared state (room changes, presence, a poll, the questions...) registers with
    ``listen``: what to do when another process says a room of that kind moved, and how to catch
    up when notices may have been missed. ``teller(kind)`` gives the function that says it.
    """

    def __init__(self, manager: ChorusRedisManager | None, start_task: Callable,
                 sleep: Callable[[float], None], every: float = HEARTBEAT) -> None:
        self.manager = manager
        self._start_task = start_task
        self._sleep = sleep
        self._every = every
        self._started = False
        self._on_notice: dict[str, Callable[[str], None]] = {}
        self._catch_ups: list[Callable[[], None]] = []
        if manager is not None:
            manager.on_notice = self.heard
            manager.on_reconnect = self.catch_up

    def listen(self, kind: str, on_notice: Callable[[str], None],
               catch_up: Callable[[], None]) -> None:
        """Register one kind: ``on_notice(room)`` for notices, ``catch_up()`` on each beat."""
        self._on_notice[kind] = on_notice
        self._catch_ups.append(catch_up)

    def teller(self, kind: str) -> Callable[[str], None]:
        """The function that tells the other processes a room of ``kind`` moved."""
        def tell(room: str) -> None:
            if self.manager is not None:
                self.manager.notify(kind, room)
        return tell

    def heard(self, kind: str, room: str) -> None:
        """A notice from another process."""
        handler = self._on_notice.get(kind)
        if handler is not None:
            handler(room)

    def catch_up(self) -> None:
        """After losing the queue, and on every beat: read what notices may have missed."""
        for catch_up in self._catch_ups:
            try:
                catch_up()
            except Exception:  # one kind failing must not starve the others
                log.exception("catch-up failed")

    def start(self) -> None:
        if not self._started:
            self._started = True
            self._start_task(self._beat)

    def _beat(self) -> None:
        while True:
            self._sleep(self._every)
            self.catch_up()
