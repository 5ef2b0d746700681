"""Chorus as `make run-cluster` runs it, for the benchmarks: Redis, N gunicorns, Nginx in front.

The same pieces as scripts/run-cluster (a private redis-server on a free port, single-worker
gunicorns sharing it as store and message queue, nginx/chorus-cluster.conf rendered by
nginx/render.py), with what tens of thousands of connections need on one box:

* Nginx with several worker processes (``nginx_workers``), each at the open-file limit and
  listening with ``reuseport``: a proxied websocket holds two descriptors in one worker, and no
  process may open more than ``ulimit -Hn`` (20,000 on the machines the figures come from);
* Redis without the append-only file: the connection benchmark writes one value, and an fsync
  per presence update would measure the disk, not Chorus.

The figures are the gunicorns' (CPU and RSS summed over their workers); Nginx's and Redis's RSS
are reported beside them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")

sys.path.insert(0, str(ROOT / "nginx"))
import render  # noqa: E402  (nginx/render.py: standard library only)


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in
                Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def _rss_kib(pid: int) -> float:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE / 1024
    except OSError:
        return 0.0


class ClusterUnderTest:
    """Redis, ``instances`` gunicorns and Nginx; ``url`` is Nginx's."""

    kind = "cluster"

    def __init__(self, workdir: Path, free_port, preexec_fn, instances: int = 3,
                 nginx_workers: int = 1) -> None:
        self.workdir = workdir / f"cluster-{time.monotonic_ns()}"
        self.workdir.mkdir()
        self.procs: list[subprocess.Popen] = []
        self.log = open(self.workdir / "cluster.log", "w")
        try:
            self._start(free_port, preexec_fn, instances, nginx_workers)
        except BaseException:
            self.stop()
            raise

    def _spawn(self, command: list[str], env: dict | None = None, preexec_fn=None):
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log,
                                stderr=subprocess.STDOUT, preexec_fn=preexec_fn)
        self.procs.append(proc)
        return proc

    def _start(self, free_port, preexec_fn, instances: int, nginx_workers: int) -> None:
        redis_bin = shutil.which("redis-server") or "/usr/bin/redis-server"
        redis_port = free_port()
        self.redis = self._spawn([redis_bin, "--port", str(redis_port), "--bind", "127.0.0.1",
                                  "--dir", str(self.workdir), "--save", "", "--appendonly",
                                  "no"])
        self._wait_redis(redis_port)
        env = {**os.environ, "CHORUS_LOG_LEVEL": "warning", "CHORUS_SEED_DEMO": "0",
               "CHORUS_STORE": f"redis://127.0.0.1:{redis_port}/0", "CHORUS_PROXIES": "1"}
        self.gunicorns = []
        apps = []
        self.ports = []
        for _ in range(instances):
            port = free_port()
            self.ports.append(port)
            apps.append(f"127.0.0.1:{port}")
            self.gunicorns.append(self._spawn(
                [str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app",
                 "-b", apps[-1]], env=env, preexec_fn=preexec_fn))
        for app in apps:
            self._wait_http(f"http://{app}/healthz")
        self.port = free_port()
        conf = render.render(self.workdir / "nginx", self.port, apps, cluster=True,
                             workers=nginx_workers)
        nginx_bin = shutil.which("nginx") or "/usr/sbin/nginx"
        self.nginx = self._spawn([nginx_bin, "-p", str(self.workdir / "nginx"), "-c", str(conf),
                                  "-g", "daemon off;"], preexec_fn=preexec_fn)
        self.url = f"http://127.0.0.1:{self.port}"
        self._wait_http(self.url + "/healthz")
        self.workers = [pid for g in self.gunicorns for pid in _children(g.pid)]
        if len(self.workers) != instances:
            raise RuntimeError(f"cluster: {len(self.workers)} gunicorn workers, not {instances}")

    def _wait_redis(self, port: int) -> None:
        import socket
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"redis did not start; see {self.log.name}")

    def _wait_http(self, url: str) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(url, timeout=1, headers={"Connection": "close"}).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{url} did not answer; see {self.log.name}")

    def cpu_seconds(self) -> float:
        return sum(_cpu_seconds(pid) for pid in self.workers)

    def rss_kib(self) -> float:
        return sum(_rss_kib(pid) for pid in self.workers)

    def side_rss_kib(self) -> dict[str, float]:
        """What Nginx (all its processes) and Redis hold, beside the gunicorns."""
        nginx = [self.nginx.pid, *_children(self.nginx.pid)]
        return {"nginx": sum(_rss_kib(pid) for pid in nginx), "redis": _rss_kib(self.redis.pid)}

    def sockets_per_instance(self) -> list[int]:
        """Established TCP connections to each gunicorn's port (from /proc/net/tcp): how
        Nginx spread the clients (plus its few kept-alive upstream connections)."""
        counts = dict.fromkeys(self.ports, 0)
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            port = int(fields[1].rsplit(":", 1)[1], 16)
            if fields[3] == "01" and port in counts:  # 01: ESTABLISHED
                counts[port] += 1
        return [counts[port] for port in self.ports]

    def per_instance_rss_kib(self) -> list[float]:
        return [_rss_kib(pid) for pid in self.workers]

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in reversed(self.procs):
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.log.close()
