"""Real things for tests: a gunicorn server on a free loopback port, and Socket.IO clients.

The server is started exactly as an operator starts it (``.venv/bin/gunicorn -c gunicorn.conf.py
wsgi:app`` with CHORUS_* variables), on a port picked free, and stopped with SIGTERM. Clients are
python-socketio's own, over websocket or polling, recording every event so tests can wait on them.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
import socketio
from engineio.payload import Payload

ROOT = Path(__file__).resolve().parent.parent
# python-socketio's client reads a long-poll with the same 16-packet cap as the server: a poll
# answering a burst of 1,000 acks would be dropped whole without this.
Payload.max_decode_packets = 1_000_000

GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
if not GUNICORN.exists():
    GUNICORN = Path(sys.executable).parent / "gunicorn"


def free_port() -> int:
    """A TCP port nothing listens on right now, on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One gunicorn running Chorus, with its output in a log file."""

    def __init__(self, workdir: Path, env: dict[str, str] | None = None,
                 port: int | None = None, args: list[str] | None = None,
                 app: str = "wsgi:app") -> None:
        self.workdir = workdir
        self.port = port or free_port()
        self.env = {**os.environ, "CHORUS_LOG_LEVEL": "info", **(env or {})}
        self.args = args or []
        self.app = app
        self.log_path = workdir / f"gunicorn-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0, healthy: bool = True) -> Server:
        """Start gunicorn and wait for /healthz: 200, or any answer when ``healthy`` is False."""
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            self.command(), cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.wait_healthy(timeout, healthy)
        return self

    def command(self) -> list[str]:
        return [str(GUNICORN), "-c", "gunicorn.conf.py", self.app,
                "-b", f"127.0.0.1:{self.port}", *self.args]

    def wait_healthy(self, timeout: float = 30.0, healthy: bool = True) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}:\n{self.log()}")
            try:
                # Connection: close, or the idle keep-alive socket would hold gunicorn's
                # graceful stop for its whole graceful_timeout.
                reply = requests.get(self.url + "/healthz", timeout=2,
                                     headers={"Connection": "close"})
                if reply.status_code == 200 or not healthy:
                    return reply.json()
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn not healthy after {timeout} s:\n{self.log()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError(f"gunicorn did not stop within {timeout} s on {sig}") from None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""


class NodeServer(Server):
    """The Node.js Socket.IO reference server of bench/node, for the same contract checks."""

    def command(self) -> list[str]:
        node = shutil.which("node") or "/usr/bin/node"
        return [node, str(ROOT / "bench" / "node" / "server.js"), "--port", str(self.port)]


# Which server the contract checks run against: Chorus, or one of the benchmark's references
# (bench/naive, bench/node), which must pass the same checks for the comparison to be fair.
TARGET = os.environ.get("CHORUS_TEST_TARGET", "chorus")


def target_server(workdir: Path, env: dict[str, str] | None = None) -> Server:
    """A server of the kind CHORUS_TEST_TARGET names (default: Chorus itself)."""
    if TARGET == "naive":
        return Server(workdir, env, app="bench.naive.app:app")
    if TARGET == "node":
        return NodeServer(workdir, env)
    if TARGET != "chorus":
        raise RuntimeError(f"CHORUS_TEST_TARGET={TARGET!r}: chorus, naive or node")
    return Server(workdir, env)


class SyncClient:
    """A python-socketio client on /sync that keeps every event it receives, in order."""

    def __init__(self, url: str, transport: str = "websocket", client: str | None = None,
                 name: str | None = None, auth: Any = "unset", headers: dict | None = None):
        self.url = url
        self.transport = transport
        # Our own requests session, closed on disconnect (the client's own is left to the GC).
        self.http = requests.Session()
        self.sio = socketio.Client(reconnection=False, http_session=self.http)
        self.events: list[tuple[str, Any]] = []
        self.cond = threading.Condition()
        self.connect_error: Any = None
        for event in ("changes", "presence"):
            self.sio.on(event, self._recorder(event), namespace="/sync")
        self.sio.on("connect_error", self._on_connect_error, namespace="/sync")
        if auth == "unset":
            auth = {}
            if client:
                auth["client"] = client
            if name:
                auth["name"] = name
            auth = auth or None
        self.auth = auth
        self.headers = headers or {}

    def connect(self) -> SyncClient:
        self.sio.connect(self.url, namespaces=["/sync"], transports=[self.transport],
                         auth=self.auth, headers=self.headers, wait_timeout=10)
        return self

    def _recorder(self, event: str) -> Callable[[Any], None]:
        def record(data: Any) -> None:
            with self.cond:
                self.events.append((event, data))
                self.cond.notify_all()
        return record

    def _on_connect_error(self, data: Any) -> None:
        with self.cond:
            self.connect_error = data
            self.cond.notify_all()

    def call(self, event: str, data: Any = None, timeout: float = 15.0) -> Any:
        """Emit and wait for the ack. ``data``: one payload; a tuple sends several arguments
        (``(None,)`` sends a null), None sends none."""
        return self.sio.call(event, data, namespace="/sync", timeout=timeout)

    def emit(self, event: str, data: Any, callback: Callable | None = None) -> None:
        self.sio.emit(event, data, namespace="/sync", callback=callback)

    def join(self, room: str, **extra: Any) -> dict:
        ack = self.call("join", {"room": room, **extra})
        assert ack["ok"], ack
        return ack

    def received(self, event: str) -> list[Any]:
        with self.cond:
            return [data for name, data in self.events if name == event]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0,
                 what: str = "condition") -> Any:
        """Wait until ``predicate()`` is truthy (re-checked on every event); returns its value."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                value = predicate()
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {what}; events: "
                                         f"{self.events[-5:]}")
                self.cond.wait(min(left, 0.5))

    def state(self, room: str) -> dict[str, Any]:
        """Key -> value after applying every received batch of ``room`` on top of ``base``."""
        held: dict[str, tuple[int, Any]] = {}
        for batch in self.received("changes"):
            if batch["room"] != room:
                continue
            for change in batch["changes"]:
                if change["key"] not in held or held[change["key"]][0] < change["version"]:
                    held[change["key"]] = (change["version"], None if change["deleted"]
                                           else change["value"])
        return {key: value for key, (_, value) in held.items()}

    def latest(self, room: str, key: str) -> Any:
        return self.state(room).get(key)

    def disconnect(self) -> None:
        try:
            self.sio.disconnect()
        except Exception:
            pass
        self.http.close()


NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


class Nginx:
    """A private Nginx running nginx/chorus.conf (or the cluster config) in front of gunicorns.

    The config is the one operators install, rendered by nginx/render.py with only addresses
    rewritten; everything Nginx writes stays under its own folder.
    """

    def __init__(self, workdir: Path, app_ports: list[int], strip_upgrade: bool = False,
                 port: int | None = None, tls: bool = False,
                 edit: Callable[[str], str] | None = None) -> None:
        self.port = port or free_port()
        self.prefix = workdir / f"nginx-{self.port}"
        self.app_ports = app_ports
        self.strip_upgrade = strip_upgrade
        # nginx/chorus-tls.conf as well, on its own port, with a self-signed certificate.
        self.tls_port = free_port() if tls else None
        self.cert = self.prefix / "cert.pem"
        self.edit = edit  # a change to the rendered nginx.conf (a test's deliberate breakage)
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def https_url(self) -> str:
        return f"https://127.0.0.1:{self.tls_port}"

    def _self_signed(self) -> list[str]:
        """A certificate for 127.0.0.1 (openssl), as certbot's files would be for a host."""
        self.prefix.mkdir(parents=True, exist_ok=True)
        key = self.prefix / "key.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", str(key), "-out", str(self.cert)],
                       check=True, capture_output=True)
        return ["--tls", str(self.tls_port), "--cert", str(self.cert), "--key", str(key)]

    def start(self, timeout: float = 15.0) -> Nginx:
        if not Path(NGINX).exists():
            raise RuntimeError("nginx is missing: `make test` installs it (apt-get install nginx)")
        args = [sys.executable, str(ROOT / "nginx" / "render.py"), "--prefix", str(self.prefix),
                "--listen", str(self.port)]
        for port in self.app_ports:
            args += ["--app", f"127.0.0.1:{port}"]
        if self.strip_upgrade:
            args.append("--strip-upgrade")
        if self.tls_port:
            args += self._self_signed()
        conf = subprocess.run(args, check=True, capture_output=True, text=True).stdout.strip()
        if self.edit is not None:
            path = Path(conf)
            path.write_text(self.edit(path.read_text()))
        self.proc = subprocess.Popen(
            [NGINX, "-p", str(self.prefix), "-c", conf, "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=open(self.prefix / "stderr.log", "ab"))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited with {self.proc.returncode}: {self.errors()}")
            try:
                if requests.get(self.url + "/healthz", timeout=2,
                                headers={"Connection": "close"}).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"nginx not answering after {timeout} s: {self.errors()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def errors(self) -> str:
        parts = []
        for name in ("stderr.log", "error.log"):
            try:
                parts.append((self.prefix / name).read_text(errors="replace")[-3000:])
            except FileNotFoundError:
                pass
        return "\n".join(parts)


REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


class RedisServer:
    """A private redis-server on a free port, with an append-only file fsynced on every write
    (nothing acknowledged is lost when it stops), that tests can stop, freeze and restart."""

    def __init__(self, workdir: Path, port: int | None = None,
                 args: list[str] | None = None) -> None:
        self.port = port or free_port()
        self.args = args or []  # more redis-server options (--replicaof for a replica)
        self.dir = workdir / f"redis-{self.port}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> RedisServer:
        if not Path(REDIS_SERVER).exists():
            raise RuntimeError("redis-server is missing: `make test` installs it "
                               "(apt-get install redis-server)")
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--dir",
             str(self.dir), "--save", "", "--appendonly", "yes", "--appendfsync", "always",
             "--logfile", str(self.dir / "redis.log"), *self.args],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ping():
                return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited: {self.dir / 'redis.log'}")
            time.sleep(0.05)
        raise RuntimeError("redis-server did not answer")

    def as_cluster_node(self, timeout: float = 10.0) -> RedisServer:
        """Start as a Redis Cluster of this one node, holding every slot: a script or command
        whose keys span slots fails here (CROSSSLOT) as it would on a real cluster, while a
        plain client reaches every key."""
        # The cluster bus port defaults to the port + 10000, which does not exist for a free
        # port above 55535: name a free one.
        self.args += ["--cluster-enabled", "yes", "--cluster-config-file",
                      str(self.dir / "nodes.conf"), "--cluster-port", str(free_port())]
        self.start(timeout)
        import redis

        node = redis.Redis(port=self.port, socket_timeout=2)
        try:
            node.execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 16383)
            deadline = time.monotonic() + timeout
            while node.cluster("info")["cluster_state"] != "ok":
                if time.monotonic() > deadline:
                    raise RuntimeError("the one-node cluster did not reach state ok")
                time.sleep(0.05)
        finally:
            node.close()
        return self

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(15)

    def freeze(self) -> None:
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.proc.send_signal(signal.SIGCONT)
