"""Run the benchmark scenarios against Chorus and its two references, in interleaved rounds.

    .venv/bin/python bench/run.py                 # everything, 3 rounds (make bench)
    .venv/bin/python bench/run.py --smoke         # a few clients for a few seconds (make test)
    .venv/bin/python bench/run.py --scenarios fanout --servers chorus,node --rounds 5

Each round starts every server afresh on a free loopback port (Chorus and the naive
Flask-SocketIO server under the same gunicorn.conf.py, the Node.js server under node), runs one
scenario with the load generator (bench/loadgen/loadgen.js), and reads the server's own CPU time
and memory from /proc over exactly the measured phase. Rounds are interleaved (chorus, naive,
node, chorus, ...) so a noisy neighbour hurts all of them alike; the table gives medians, and
the load generator's CPU beside every figure (a ratio taken while it was above ~80% measured the
load generator, not the server). Results go to stdout and to bench/results/<date>.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.cluster import ClusterUnderTest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")

SCENARIOS = {
    # name: (loadgen arguments, smoke arguments)
    "conn": ({"scenario": "conn", "clients": 10000, "hold": 60, "concurrency": 500},
             {"scenario": "conn", "clients": 50, "hold": 1}),
    # fanout's receivers are spread over two load generator processes ("parts"): one Node.js
    # process parsing a million deliveries saturated its core before the Node server did.
    "fanout": ({"scenario": "fanout", "clients": 1000, "rate": 100, "seconds": 10, "parts": 2},
               {"scenario": "fanout", "clients": 20, "rate": 20, "seconds": 2, "parts": 2}),
    # the quieter rates, where a fixed tick would be pure delay
    "fanout-100x50": ({"scenario": "fanout", "clients": 100, "rate": 50, "seconds": 10,
                       "parts": 2},
                      {"scenario": "fanout", "clients": 10, "rate": 10, "seconds": 2, "parts": 2}),
    "fanout-1000x20": ({"scenario": "fanout", "clients": 1000, "rate": 20, "seconds": 10,
                        "parts": 2},
                       {"scenario": "fanout", "clients": 20, "rate": 5, "seconds": 2, "parts": 2}),
    "converge": ({"scenario": "converge", "clients": 200, "each": 50},
                 {"scenario": "converge", "clients": 10, "each": 10}),
    "polling": ({"scenario": "fanout", "clients": 100, "rate": 50, "seconds": 10,
                 "transport": "polling", "parts": 2},
                {"scenario": "fanout", "clients": 10, "rate": 10, "seconds": 2,
                 "transport": "polling", "parts": 2}),
}
SERVERS = ("chorus", "naive", "node")  # and "cluster": Chorus as `make run-cluster` runs it


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raise_nofile() -> None:
    """For child processes: as many open files as allowed (10,000 sockets on each side)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class ServerUnderTest:
    """One server process of one kind, and the process whose CPU and memory are measured."""

    def __init__(self, kind: str, workdir: Path, scenario: str) -> None:
        self.kind = kind
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "CHORUS_LOG_LEVEL": "warning", "CHORUS_SEED_DEMO": "0"}
        if kind == "chorus":
            # converge runs Chorus on its default SQLite store; the references are in memory
            fresh_file = f"sqlite:///{workdir}/bench-{self.port}.db"
            env["CHORUS_STORE"] = fresh_file if scenario == "converge" else "memory://"
            command = [str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"]
        elif kind == "naive":
            command = [str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py",
                       "bench.naive.app:app"]
        else:
            command = [shutil.which("node") or "/usr/bin/node", "bench/node/server.js"]
            command += ["--port", str(self.port)]
        if kind != "node":
            command += ["-b", f"127.0.0.1:{self.port}"]
        self.log = open(workdir / f"{kind}-{self.port}.log", "w")
        self.proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT, preexec_fn=raise_nofile)
        self._wait()
        self.pid = self._measured_pid()

    def _wait(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/healthz", timeout=1,
                                headers={"Connection": "close"}).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError(f"{self.kind} did not start; see {self.log.name}")

    def _measured_pid(self) -> int:
        """gunicorn's worker (the master only supervises); node's own process."""
        if self.kind == "node":
            return self.proc.pid
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        return int(children.split()[0])

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def rss_kib(self) -> float:
        pages = int(Path(f"/proc/{self.pid}/statm").read_text().split()[1])
        return pages * PAGE / 1024

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


CLUSTER = {"instances": 3, "nginx_workers": 1}  # set from the command line


def start_server(kind: str, workdir: Path, scenario: str):
    if kind == "cluster":
        return ClusterUnderTest(workdir, free_port, raise_nofile, **CLUSTER)
    return ServerUnderTest(kind, workdir, scenario)


def run_round(kind: str, scenario: str, loadgen_args: dict, workdir: Path) -> dict:
    """One server, one scenario: the load generator's figures plus the server's."""
    server = start_server(kind, workdir, scenario)
    try:
        base_rss = server.rss_kib()
        parts = int(loadgen_args.get("parts", 1))
        marks: dict[str, tuple[float, float]] = {}
        rss_connected: list[float] = []
        sockets = None  # per cluster instance, once every client is in
        ready = [threading.Event() for _ in range(parts)]
        loadgens = []
        for part in range(parts):
            args = ["node", str(ROOT / "bench/loadgen/loadgen.js"), "--url", server.url,
                    "--room", f"{scenario}-{kind}", "--part", str(part)]
            for key, value in loadgen_args.items():
                args += [f"--{key}", str(value)]
            if parts > 1 and loadgen_args["scenario"] == "conn":
                # ~28,000 ephemeral ports per source address and destination: each part
                # connects from its own loopback address (127.0.0.2, .3, ...)
                args += ["--localAddress", f"127.0.0.{2 + part}"]
            if kind == "cluster":  # each client its own sticky cookie, as a browser has
                args += ["--sticky", "1"]
            loadgens.append(subprocess.Popen(
                args, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, text=True, preexec_fn=raise_nofile))

        def watch_markers(part: int, loadgen: subprocess.Popen) -> None:
            for line in loadgen.stderr:
                try:
                    mark = json.loads(line)
                except ValueError:
                    continue
                if not isinstance(mark, dict):
                    continue
                if mark.get("ready"):
                    ready[part].set()
                if part == 0 and "phase" in mark:  # part 0 runs the writer: its phase counts
                    marks[mark["phase"]] = (time.monotonic(), server.cpu_seconds())
                if part == 0 and "connected" in mark:
                    rss_connected.append(server.rss_kib())

        watchers = [threading.Thread(target=watch_markers, args=(part, loadgen), daemon=True)
                    for part, loadgen in enumerate(loadgens)]
        for watcher in watchers:
            watcher.start()
        if parts > 1:  # every part connected, then all start together
            for part, event in enumerate(ready):
                while not event.wait(1):
                    if loadgens[part].poll() is not None:
                        raise RuntimeError(f"{kind} {scenario}: load generator part {part} "
                                           f"exited: {loadgens[part].stdout.read()[-2000:]}")
            if loadgen_args["scenario"] == "conn":  # every part connected: the memory now
                rss_connected.append(server.rss_kib())
                if kind == "cluster":
                    sockets = server.sockets_per_instance()
            for loadgen in loadgens:
                loadgen.stdin.write("go\n")
                loadgen.stdin.flush()
        outputs = [loadgen.stdout.read() for loadgen in loadgens]  # markers: from stderr
        for loadgen in loadgens:
            loadgen.wait(1800)
        for watcher in watchers:
            watcher.join(5)
        reports = [json.loads(out.strip().splitlines()[-1]) for out in outputs]
        for report in reports:
            if "error" in report:
                raise RuntimeError(f"{kind} {scenario}: {report['error']}")
        figures = merge_parts(reports)
        if "start" in marks and "end" in marks:
            wall = marks["end"][0] - marks["start"][0]
            figures["server_cpu_percent"] = (marks["end"][1] - marks["start"][1]) / wall * 100
        if rss_connected and figures.get("joined"):
            figures["rss_per_connection_kib"] = (rss_connected[0] - base_rss) / figures["joined"]
        figures["server_rss_mib"] = server.rss_kib() / 1024
        if kind == "cluster" and sockets is not None:
            figures["instance_sockets"] = sockets
        if kind == "cluster":
            side = server.side_rss_kib()
            figures["nginx_rss_mib"] = side["nginx"] / 1024
            figures["redis_rss_mib"] = side["redis"] / 1024
            figures["instance_rss_mib"] = [round(kib / 1024, 1)
                                           for kib in server.per_instance_rss_kib()]
        return figures
    finally:
        server.stop()


def merge_parts(reports: list[dict]) -> dict:
    """One round's figures from the load generator's parts: counts add up, latencies come from
    the merged histograms, and the load generator's CPU is its busiest part's (a saturated
    part is what the rule about the load generator's CPU is about)."""
    histogram: dict[int, int] = {}
    for report in reports:
        for bin_, count in report.pop("latency_histogram_01ms", {}).items():
            histogram[int(bin_)] = histogram.get(int(bin_), 0) + count
    figures = dict(reports[0])
    if len(reports) == 1:
        return figures
    for key in ("clients", "failed", "batches_received", "joined", "dropped",
                "alive_after_hold", "unfinished", "join_retries"):
        if any(key in report for report in reports):
            figures[key] = sum(report.get(key, 0) for report in reports)
    times = [report["connect_join_s"] for report in reports]
    numbers = [t for t in times if isinstance(t, (int, float))]
    figures["connect_join_s"] = max(numbers) if len(numbers) == len(times) else \
        next(t for t in times if not isinstance(t, (int, float)))
    if "change_reach_all_ms" in figures:  # the slowest part's last client
        reach = [report.get("change_reach_all_ms") for report in reports]
        figures["change_reach_all_ms"] = None if None in reach else max(reach)
    figures["loadgen_cpu_percent"] = max(report["loadgen_cpu_percent"] for report in reports)
    figures["latency_p50_ms"] = histogram_percentile(histogram, 50)
    figures["latency_p99_ms"] = histogram_percentile(histogram, 99)
    figures["loadgen_parts"] = len(reports)
    return figures


def histogram_percentile(histogram: dict[int, int], percent: float) -> float | None:
    """The nearest-rank percentile of latencies counted in 0.1 ms bins, in ms."""
    total = sum(histogram.values())
    if not total:
        return None
    rank = max(1, math.ceil(percent / 100 * total))
    seen = 0
    for bin_ in sorted(histogram):
        seen += histogram[bin_]
        if seen >= rank:
            return bin_ / 10
    return max(histogram) / 10


def machine() -> str:
    """The machine the figures were taken on."""
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory = int(Path("/proc/meminfo").read_text().split()[1]) / 1048576
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    return (f"{platform.node()}: {model}, {os.cpu_count()} cores, {memory:.0f} GiB, "
            f"Linux {platform.release()}, Python {platform.python_version()}, Node {node}")


REPORTED = {
    "conn": ["joined", "join_retries", "connect_join_s", "rss_per_connection_kib", "dropped",
             "change_reach_all_ms", "server_cpu_percent", "loadgen_cpu_percent",
             "server_rss_mib", "nginx_rss_mib"],
    "fanout": ["latency_p50_ms", "latency_p99_ms", "server_cpu_percent", "batches_received",
               "loadgen_cpu_percent"],
    "converge": ["throughput_per_s", "exact", "server_cpu_percent", "loadgen_cpu_percent"],
    "polling": ["latency_p50_ms", "latency_p99_ms", "server_cpu_percent", "loadgen_cpu_percent"],
}
REPORTED["fanout-100x50"] = REPORTED["fanout-1000x20"] = REPORTED["fanout"]


def median(values: list) -> object:
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if len(numbers) == len(values) and numbers:
        return statistics.median(numbers)
    return values[0] if len(set(map(str, values))) == 1 else "/".join(map(str, values))


def table(results: dict, rounds: int, used: dict[str, dict]) -> str:
    """The medians of every scenario, with the load generator arguments it ran with."""
    lines = []
    for scenario, by_server in results.items():
        args = used[scenario]
        lines.append(f"\n### {scenario} ({', '.join(f'{k}={v}' for k, v in args.items())}; "
                     f"median of {rounds})\n")
        servers = list(by_server)
        lines.append("| figure | " + " | ".join(servers) + " | chorus/naive | chorus/node |")
        lines.append("|---|" + "---|" * (len(servers) + 2))
        for figure in REPORTED[scenario]:
            row = [median([r.get(figure) for r in by_server[s]]) for s in servers]
            ratios = []
            for other in ("naive", "node"):
                if "chorus" in servers and other in servers:
                    a, b = row[servers.index("chorus")], row[servers.index(other)]
                    ok = isinstance(a, (int, float)) and isinstance(b, (int, float)) and b \
                        and not isinstance(a, bool)
                    ratios.append(f"{a / b:.2f}" if ok else "")
                else:
                    ratios.append("")
            shown = [f"{v:.1f}" if isinstance(v, float) else str(v) for v in row]
            lines.append(f"| {figure} | " + " | ".join(shown) + " | " + " | ".join(ratios) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny loads, seconds")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--servers", default=",".join(SERVERS))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a load generator argument, e.g. --set clients=2000")
    parser.add_argument("--instances", type=int, default=3,
                        help="gunicorns of the cluster server (as make run-cluster: 3)")
    parser.add_argument("--nginx-workers", type=int, default=1,
                        help="Nginx worker processes of the cluster server")
    args = parser.parse_args()
    CLUSTER.update(instances=args.instances, nginx_workers=args.nginx_workers)
    scenarios = args.scenarios.split(",")
    servers = args.servers.split(",")
    rounds = 1 if args.smoke else args.rounds
    results: dict[str, dict[str, list[dict]]] = {s: {k: [] for k in servers} for s in scenarios}
    started = datetime.datetime.now()
    used: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="chorus-bench-") as tmp:
        for scenario in scenarios:
            full, smoke = SCENARIOS[scenario]
            overrides = dict(item.split("=", 1) for item in args.set)
            full, smoke = {**full, **overrides}, {**smoke, **overrides}
            used[scenario] = smoke if args.smoke else full
            for round_number in range(rounds):
                for kind in servers:  # interleaved: every server once per round
                    figures = run_round(kind, scenario, smoke if args.smoke else full, Path(tmp))
                    results[scenario][kind].append(figures)
                    print(f"# {scenario} round {round_number + 1} {kind}: {json.dumps(figures)}",
                          flush=True)
    report = (f"# Benchmark run {started:%Y-%m-%d %H:%M}\n\nMachine: {machine()}\n"
              f"\nCommand: `{' '.join(sys.argv)}`\n" + table(results, rounds, used) + "\n")
    print(report)
    if not args.smoke:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / f"{started:%Y-%m-%d-%H%M}.md").write_text(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
