"""Flask-SocketIO's Redis message queue, with Chorus's notices and a quicker reconnect.

Several processes share one Redis channel through python-socketio's ``RedisManager``. Chorus
sends a small notice on it when a room changed ("room R has new changes", "room R's presence
changed"); every other process then builds its own batch for its own members from the shared
change log (app/sync/broadcast.py). Batches themselves are emitted locally, never through the queue.

Two behaviours of the stock manager are changed:

* its listener backs off up to 60 s after losing Redis; here the wait is capped near a second,
  so a Redis that comes back is used again within a few seconds;
* pub/sub never replays what was published while a listener was away, so after every
  reconnect ``on_reconnect`` runs and the process brings its members up to date from the
  change log.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Callable, Iterator

from socketio import RedisManager

from app.state.redis_connection import redis_client

log = logging.getLogger(__name__)

RETRY_CAP = 1.0  # seconds between attempts to resubscribe
NOTICE = "chorus"  # the key that marks a Chorus notice among the manager's messages

# The subscriber blocks on its socket for as long as the channel is quiet, so it has no read
# timeout; TCP keepalive notices a Redis that vanished without closing the connection.
_KEEPALIVE = {opt: value for opt, value in (
    (getattr(socket, "TCP_KEEPIDLE", None), 10), (getattr(socket, "TCP_KEEPINTVL", None), 5),
    (getattr(socket, "TCP_KEEPCNT", None), 3)) if opt is not None}


class ChorusRedisManager(RedisManager):
    """RedisManager that carries Chorus notices and reconnects within about a second."""

    name = "chorus-redis"

    def __init__(self, url: str, channel: str = "chorus", write_only: bool = False) -> None:
        super().__init__(url, channel=channel, write_only=write_only)
        self.on_notice: Callable[[str, str], None] = lambda kind, room: None
        self.on_reconnect: Callable[[], None] = lambda: None
        self.connected_to_queue = False

    def _redis_connect(self) -> None:  # pragma: no cover - needs Redis
        """Two clients, both from app/state/redis_connection.py so that a Sentinel URL is read
        the same way as for the store: publishing gives up after a second (a frozen Redis must
        not hold a flush), while the subscriber waits on a quiet channel as long as it takes.
        Each reconnect asks the Sentinels afresh, so the queue follows a failover."""
        subscriber = redis_client(self.redis_url, timeout=None, pool_size=4,
                                  socket_keepalive=True, socket_keepalive_options=_KEEPALIVE,
                                  health_check_interval=10)
        self.pubsub = subscriber.pubsub(ignore_subscribe_messages=True)
        self.redis = redis_client(self.redis_url)
        self.connected = True

    def notify(self, kind: str, room: str) -> None:
        """Tell the other processes that ``room``'s ``kind`` (changes, presence) moved."""
        self._publish({NOTICE: kind, "room": room, "host_id": self.host_id})

    def _redis_listen_with_retries(self) -> Iterator[dict]:  # pragma: no cover - needs Redis
        subscribed_before = False
        while True:
            try:
                self._redis_connect()
                self.pubsub.subscribe(self.channel)
                self.connected_to_queue = True
                if subscribed_before:
                    log.warning("message queue: reconnected to Redis; catching up from the "
                                "change log")
                    self.on_reconnect()
                subscribed_before = True
                yield from self.pubsub.listen()
            except Exception as exc:
                if self.connected_to_queue:
                    log.error("message queue: lost Redis (%s); retrying every %.0f s",
                              exc, RETRY_CAP)
                self.connected_to_queue = False
                time.sleep(RETRY_CAP)

    def _listen(self) -> Iterator[bytes]:  # pragma: no cover - needs Redis
        for data in super()._listen():
            notice = self._as_notice(data)
            if notice is None:
                yield data
            elif notice.get("host_id") != self.host_id and isinstance(notice.get("room"), str):
                try:
                    self.on_notice(str(notice[NOTICE]), notice["room"])
                except Exception:
                    log.exception("message queue: notice %s failed", notice)

    @staticmethod
    def _as_notice(data: bytes) -> dict | None:
        if not data.startswith(b'{"' + NOTICE.encode()):
            return None
        try:
            return json.loads(data)
        except ValueError:
            return None
