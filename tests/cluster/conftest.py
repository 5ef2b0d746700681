"""Three real gunicorns sharing a real Redis, behind a real Nginx with the sticky upstream."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.support import Nginx, RedisServer, Server

TOKEN = "cluster-token"


@dataclass
class Cluster:
    redis: RedisServer
    servers: list[Server]
    nginx: Nginx

    def stop(self) -> None:
        self.nginx.stop()
        for server in self.servers:
            server.stop()
        if self.redis.proc is not None and self.redis.proc.poll() is None:
            self.redis.thaw()  # a frozen Redis cannot act on SIGTERM
        self.redis.stop()


def start_cluster(workdir, instances: int = 3) -> Cluster:
    redis = RedisServer(workdir).start()
    env = {"CHORUS_STORE": redis.url, "CHORUS_PROXIES": "1", "CHORUS_API_TOKEN": TOKEN}
    servers = [Server(workdir, env).start() for _ in range(instances)]
    nginx = Nginx(workdir, [s.port for s in servers]).start()
    return Cluster(redis, servers, nginx)


@pytest.fixture(scope="module")
def cluster(workdir):
    running = start_cluster(workdir)
    yield running
    running.stop()
