"""The benchmark's parts work: both references pass the contract checks Chorus passes, and a
tiny run of every scenario against all three servers completes with sane figures. (Speed itself
is measured by `make bench`, never here.)"""

from __future__ import annotations

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
    for scenario in ("conn", "fanout", "converge", "polling"):
        assert f"### {scenario}" in report
    assert "| exact | True | True | True |" in report
    assert "| dropped | 0 | 0 | 0 |" in report
