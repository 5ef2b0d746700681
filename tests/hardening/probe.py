"""A well-behaved client in a process of its own, timing `set` round trips while a test misbehaves.

Run as ``python -m tests.hardening.probe URL ROOM TRANSPORT INTERVAL``: it connects, joins ROOM,
prints ``ready``, then does one `set` round trip every INTERVAL seconds and prints one line per
round trip, ``rt STARTED SECONDS OUTCOME`` (STARTED on the system's monotonic clock, the one
``time.monotonic()`` reads in every process; OUTCOME ``ok``, an error code, or ``no-ack``), until
its standard input closes. Its own process keeps the test process's threads and GIL out of the
timings. ``Probe`` drives it from a test.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@dataclass(frozen=True)
class Sample:
    started: float
    seconds: float
    outcome: str


class Probe:
    """The probe process, seen from the test: start, wait for round trips, stop, judge."""

    def __init__(self, url: str, room: str, transport: str = "websocket",
                 interval: float = 0.02) -> None:
        self.args = [sys.executable, "-m", "tests.hardening.probe", url, room, transport,
                     str(interval)]
        self.samples: list[Sample] = []
        self.cond = threading.Condition()
        self.proc: subprocess.Popen | None = None
        self.lines: list[str] = []

    def start(self, timeout: float = 20.0) -> Probe:
        self.proc = subprocess.Popen(self.args, cwd=ROOT, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.proc.stdout], [], [], max(left, 0))
            if not ready:
                self.proc.kill()
                raise AssertionError("the probe did not get ready: " + "".join(self.lines))
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError("the probe exited: " + "".join(self.lines))
            self.lines.append(line)
            if line.strip() == "ready":
                break
        threading.Thread(target=self._read, daemon=True).start()
        return self

    def _read(self) -> None:
        for line in self.proc.stdout:
            parts = line.split()
            with self.cond:
                if len(parts) == 4 and parts[0] == "rt":
                    self.samples.append(Sample(float(parts[1]), float(parts[2]), parts[3]))
                else:
                    self.lines.append(line)
                self.cond.notify_all()

    def wait_round_trips(self, count: int, after: float, timeout: float = 20.0) -> None:
        """Wait until ``count`` round trips started after monotonic time ``after`` ended."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.between(after, float("inf"))) < count:
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise AssertionError(f"the probe made fewer than {count} round trips: "
                                         f"{self.samples[-5:]} {self.lines[-5:]}")
                self.cond.wait(min(left, 0.5))

    def between(self, start: float, end: float) -> list[Sample]:
        with self.cond:
            return [s for s in self.samples if start <= s.started < end]

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.stdin.close()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def assert_snappy(self, start: float, end: float, limit: float = 0.2,
                      least: int = 1, what: str = "") -> list[Sample]:
        """Every round trip started in [start, end) was answered ok within ``limit`` s."""
        window = self.between(start, end)
        assert len(window) >= least, f"{what}: {len(window)} round trips, wanted {least}"
        bad = [s for s in window if s.outcome != "ok"]
        assert not bad, f"{what}: failed round trips {bad[:5]}"
        slowest = max(window, key=lambda s: s.seconds)
        assert slowest.seconds < limit, f"{what}: a round trip took {slowest.seconds * 1000:.0f}" \
                                        f" ms (limit {limit * 1000:.0f} ms); {len(window)} made"
        return window


def main() -> None:
    url, room, transport, interval = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    from tests.support import SyncClient

    client = SyncClient(url, transport).connect()
    client.join(room)
    stop = threading.Event()

    def until_stdin_closes() -> None:
        sys.stdin.read()
        stop.set()

    threading.Thread(target=until_stdin_closes, daemon=True).start()
    print("ready", flush=True)
    n = 0
    next_at = time.monotonic()
    while not stop.is_set():
        n += 1
        started = time.monotonic()
        try:
            ack = client.call("set", {"room": room, "key": "probe", "value": n}, timeout=5)
            outcome = "ok" if ack.get("ok") is True else str(ack["error"]["code"])
        except Exception:
            outcome = "no-ack"
        print(f"rt {started:.6f} {time.monotonic() - started:.6f} {outcome}", flush=True)
        next_at += interval
        stop.wait(max(0.0, next_at - time.monotonic()))  # pacing: one round trip per interval
    client.disconnect()


if __name__ == "__main__":
    main()
