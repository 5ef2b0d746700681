"""Three real gunicorns sharing a real Redis, behind a real Nginx with the sticky upstream.

The module-wide ``cluster`` runs each test twice: on one redis-server, and on a primary with a
replica under three Sentinels (``CHORUS_STORE=redis+sentinel://...``, tests/redis_sentinel.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.redis_sentinel import SentinelRedis
from tests.support import Nginx, RedisServer, Server

TOKEN = "cluster-token"


@dataclass
class Cluster:
    redis: RedisServer | SentinelRedis
    servers: list[Server]
    nginx: Nginx

    def stop(self) -> None:
        self.nginx.stop()
        for server in self.servers:
            server.stop()
        if self.redis.proc is not None and self.redis.proc.poll() is None:
            self.redis.thaw()  # a frozen Redis cannot act on SIGTERM
        if isinstance(self.redis, SentinelRedis):
            self.redis.stop_all()
        else:
            self.redis.stop()


def start_cluster(workdir, instances: int = 3, redis_kind: str = "redis") -> Cluster:
    if redis_kind == "sentinel":
        redis = SentinelRedis(workdir).launch()
    else:
        redis = RedisServer(workdir).start()
    # A heartbeat a second: an event stream's reader closing mid-read waits for the next one.
    env = {"CHORUS_STORE": redis.url, "CHORUS_PROXIES": "1", "CHORUS_API_TOKEN": TOKEN,
           "CHORUS_STREAM_HEARTBEAT": "1"}
    servers = [Server(workdir, env).start() for _ in range(instances)]
    nginx = Nginx(workdir, [s.port for s in servers]).start()
    return Cluster(redis, servers, nginx)


@pytest.fixture(scope="module", params=["redis", "sentinel"])
def cluster(workdir, request):
    running = start_cluster(workdir, redis_kind=request.param)
    yield running
    running.stop()
