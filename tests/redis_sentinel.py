"""Redis under Sentinel for tests: a primary, a replica and three redis-sentinel processes.

Laid out as docs/storage.md tells operators to run it, on free loopback ports, with Sentinel's
timings shortened so a failover takes seconds: the primary is judged down after one second, and
the data nodes' ``repl-timeout`` stays above ten times that (the condition under which no
acknowledged write can be lost, docs/storage.md). Everything stops with ``stop()``.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path

import redis

from tests.support import RedisServer, free_port

SENTINEL = shutil.which("redis-sentinel") or "/usr/bin/redis-sentinel"
MASTER = "chorus"
DOWN_AFTER_MS = 1000
# Above ten times DOWN_AFTER_MS: a replica the primary stopped counting (and so stopped
# waiting for) has been cut off long enough that Sentinel never promotes it.
REPL_TIMEOUT = 15


def ask(port: int, method: str, *args, timeout: float = 1.0):
    """Call one redis-py method on a Redis or a Sentinel at 127.0.0.1:port; its parsed reply,
    or None when nothing answers."""
    client = redis.Redis(port=port, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        return getattr(client, method)(*args)
    except redis.RedisError:
        return None
    finally:
        client.close()


class SentinelProcess:
    """One redis-sentinel with its own config file (Sentinel rewrites it as it learns)."""

    def __init__(self, workdir: Path, primary_port: int) -> None:
        self.port = free_port()
        self.dir = workdir / f"sentinel-{self.port}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.primary_port = primary_port
        self.proc: subprocess.Popen | None = None

    def start(self) -> SentinelProcess:
        if not Path(SENTINEL).exists():
            raise RuntimeError("redis-sentinel is missing: `make test` installs it "
                               "(apt-get install redis-sentinel)")
        conf = self.dir / "sentinel.conf"
        conf.write_text(
            f"port {self.port}\nbind 127.0.0.1\ndir {self.dir}\n"
            f"logfile {self.dir / 'sentinel.log'}\n"
            f"sentinel monitor {MASTER} 127.0.0.1 {self.primary_port} 2\n"
            f"sentinel down-after-milliseconds {MASTER} {DOWN_AFTER_MS}\n"
            f"sentinel failover-timeout {MASTER} 10000\n"
            f"sentinel parallel-syncs {MASTER} 1\n")
        self.proc = subprocess.Popen([SENTINEL, str(conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        return self

    def master(self) -> int | None:
        """The port this Sentinel gives for the master right now."""
        reply = ask(self.port, "sentinel_get_master_addr_by_name", MASTER)
        return int(reply[1]) if reply else None

    def info(self) -> dict:
        """The master's fields as this Sentinel sees them (SENTINEL MASTER)."""
        return ask(self.port, "sentinel_master", MASTER) or {}

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


class SentinelRedis:
    """The data nodes and their Sentinels; ``url`` is what CHORUS_STORE is set to.

    ``start``/``stop``/``freeze``/``thaw`` act on the current primary, so the cluster tests
    written against a single Redis run unchanged against this one."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        timing = ["--repl-timeout", str(REPL_TIMEOUT)]
        self.nodes = [RedisServer(workdir, args=timing)]
        self.nodes.append(RedisServer(workdir, args=[
            *timing, "--replicaof", "127.0.0.1", str(self.nodes[0].port)]))
        self.sentinels = [SentinelProcess(workdir, self.nodes[0].port) for _ in range(3)]

    @property
    def url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{s.port}" for s in self.sentinels)
        return f"redis+sentinel://{hosts}/{MASTER}/0"

    @property
    def primary(self) -> RedisServer:
        """The node the Sentinels name as master (the first node before any failover)."""
        for sentinel in self.sentinels:
            port = sentinel.master()
            for node in self.nodes:
                if node.port == port:
                    return node
        return self.nodes[0]

    @property
    def proc(self) -> subprocess.Popen | None:
        return self.primary.proc

    def launch(self, timeout: float = 20.0) -> SentinelRedis:
        """Start every process and wait until each Sentinel sees the replica and the other two
        Sentinels (a failover needs them all to know one another)."""
        for node in self.nodes:
            node.start()
        for sentinel in self.sentinels:
            sentinel.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.replica_online() and all(
                    s.info().get("num-other-sentinels") == 2
                    and s.info().get("num-slaves") == 1 for s in self.sentinels):
                return self
            time.sleep(0.1)
        self.stop_all()
        raise RuntimeError(f"Sentinels did not settle within {timeout} s (logs in "
                           f"{self.workdir})")

    def replica_online(self) -> bool:
        """Whether the primary streams to one online replica."""
        reply = ask(self.primary.port, "info", "replication") or {}
        return any(isinstance(v, dict) and v.get("state") == "online" for v in reply.values())

    def wait_for_new_primary(self, old: RedisServer, timeout: float = 30.0) -> RedisServer:
        """Block until a majority of Sentinels name a master other than ``old``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            named = [s.master() for s in self.sentinels]
            others = [p for p in named if p is not None and p != old.port]
            if len(others) >= 2:
                return next(n for n in self.nodes if n.port == others[0])
            time.sleep(0.1)
        raise AssertionError(f"no failover within {timeout} s; Sentinels name {named}")

    def restore(self, timeout: float = 30.0) -> None:
        """Start every node that is down and wait until the primary streams to it again (the
        Sentinels turn a returning old primary into a replica by themselves)."""
        for node in self.nodes:
            if node.proc is None or node.proc.poll() is not None:
                node.start()
        deadline = time.monotonic() + timeout
        while not (self.replica_online() and self.primary.port != self.replica.port):
            assert time.monotonic() < deadline, f"no replica back within {timeout} s"
            time.sleep(0.1)

    @property
    def replica(self) -> RedisServer:
        """The node that is not the primary."""
        primary = self.primary
        return next(node for node in self.nodes if node is not primary)

    # -- what the single-Redis cluster tests do to their Redis, done to the primary ----------

    def start(self) -> SentinelRedis:
        if self.nodes[0].proc is None:
            return self.launch()
        self.primary.start()
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        self.primary.stop(sig)

    def freeze(self) -> None:
        self.primary.freeze()

    def thaw(self) -> None:
        self.primary.thaw()

    def stop_all(self) -> None:
        """Every process, whatever state the tests left it in."""
        for sentinel in self.sentinels:
            sentinel.stop()
        for node in self.nodes:
            if node.proc is not None and node.proc.poll() is None:
                node.thaw()
                node.stop()
