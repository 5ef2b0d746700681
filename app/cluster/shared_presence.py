"""Presence across processes: each process keeps its clients alive in Redis, with a TTL.

Per room, each process holds a set of its client ids (``chorus:{room}:here:<process>``) that
expires unless renewed, and the room lists the processes that wrote one. The count is the union
of the live sets, so a client with tabs on two processes counts once, and the clients of a
process that died vanish when its set expires, with no one cleaning up. Renewal happens on every
heartbeat (app/cluster/notices.py), well inside the TTL.

When Redis cannot be reached, the count falls back to this process's own clients.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import redis

from app.state.redis_connection import redis_client
from app.state.redis_store import PREFIX

log = logging.getLogger(__name__)

TTL = 15  # seconds a process's set outlives its last renewal

# KEYS: 1 the room's process list, then each listed process's set; ARGV: those processes, in
# the same order. Every key is passed in (none built here) and shares the room's hash tag, so
# the script runs on Redis Cluster too.
COUNT = """
local alive = {}
for i = 2, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then alive[#alive + 1] = KEYS[i]
  else redis.call('SREM', KEYS[1], ARGV[i - 1]) end
end
if #alive == 0 then return 0 end
return #redis.call('SUNION', unpack(alive))
"""


class SharedPresence:
    """The ``counter`` of app/sync/presence.py for several processes sharing one Redis."""

    def __init__(self, url: str, host: str, ttl: int = TTL) -> None:
        self._redis = redis_client(url)
        self._host = host
        self._ttl = ttl
        self._count = self._redis.register_script(COUNT)

    def arrive(self, room: str, client: str) -> None:
        self._quietly(self._renew, room, [client], replace=False)

    def depart(self, room: str, client: str) -> None:
        self._quietly(self._redis.srem, self._here(room), client)

    def count(self, room: str, local: int) -> int:
        found = self._quietly(self._shared_count, room)
        return local if found is None else max(int(found), local)

    def _shared_count(self, room: str) -> int:
        """Distinct clients in the live sets of every process listed for ``room``."""
        hosts = sorted(host.decode() for host in self._redis.smembers(self._hosts(room)))
        if not hosts:
            return 0
        return self._count(keys=[self._hosts(room), *(self._here(room, h) for h in hosts)],
                           args=hosts)

    def refresh(self, rooms: dict[str, Iterable[str]]) -> None:
        for room, clients in rooms.items():
            self._quietly(self._renew, room, list(clients), replace=True)

    def _renew(self, room: str, clients: list[str], replace: bool) -> None:
        here = self._here(room)
        pipe = self._redis.pipeline(transaction=True)
        if replace:
            pipe.delete(here)
        if clients:
            pipe.sadd(here, *clients)
        pipe.expire(here, self._ttl)
        pipe.sadd(self._hosts(room), self._host)
        pipe.execute()

    def _here(self, room: str, host: str | None = None) -> str:
        return f"{PREFIX}:{{{room}}}:here:{self._host if host is None else host}"

    @staticmethod
    def _hosts(room: str) -> str:
        return f"{PREFIX}:{{{room}}}:hosts"

    @staticmethod
    def _quietly(call, *args, **kwargs):
        try:
            return call(*args, **kwargs)
        except redis.RedisError as exc:
            log.warning("presence not shared this time (Redis: %s)", exc)
            return None
