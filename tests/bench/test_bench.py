"""The benchmark's parts work: both references pass the contract checks Chorus passes, and a
tiny run of every scenario against all three servers completes with sane figures. (Speed itself
is measured by `make bench`, never here.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.support import ROOT

CONTRACT_CHECKS = ["tests/integration/test_contract.py", "tests/integration/test_bad_input.py",
                   "tests/integration/test_load_rules.py"]


@pytest.mark.parametrize("target", ["naive", "node"])
def test_reference_passes_the_contract_checks(target):
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *CONTRACT_CHECKS],
        cwd=ROOT, env={**os.environ, "CHORUS_TEST_TARGET": target},
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "failed" not in result.stdout


def test_smoke_run_of_every_scenario_on_every_server():
    result = subprocess.run([sys.executable, "bench/run.py", "--smoke"], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = result.stdout
    for scenario in ("conn", "fanout", "fanout-100x50", "fanout-1000x20", "converge", "polling"):
        assert f"### {scenario}" in report
    assert "| exact | True | True | True |" in report
    assert "| dropped | 0 | 0 | 0 |" in report


def test_smoke_conn_on_a_two_process_cluster():
    """conn through Nginx's sticky upstream to two gunicorns sharing Redis, with the load
    generator in two processes on two source addresses: every client joins and stays, both
    instances hold some of them, and the change made through one reaches the clients of both."""
    result = subprocess.run(
        [sys.executable, "bench/run.py", "--smoke", "--scenarios", "conn", "--servers", "cluster",
         "--instances", "2", "--nginx-workers", "2", "--set", "parts=2", "--set", "clients=60"],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    line = next(line for line in result.stdout.splitlines()
                if line.startswith("# conn round 1 cluster: "))
    figures = json.loads(line.split(": ", 1)[1])
    assert figures["joined"] == 60 and figures["failed"] == 0
    assert figures["dropped"] == 0 and figures["alive_after_hold"] == 60
    assert isinstance(figures["change_reach_all_ms"], (int, float))
    assert figures["loadgen_parts"] == 2
    # connections to each gunicorn: its share of the 60 websockets, and at most a few of
    # Nginx's kept-alive upstream connections
    assert len(figures["instance_sockets"]) == 2
    assert sum(figures["instance_sockets"]) >= 60, figures
    assert all(count >= 6 for count in figures["instance_sockets"]), figures
