"""The layer rules of app/ hold, and breaking one fails with import-linter's own message.

The rules are the contracts in pyproject.toml ([tool.importlinter]); docs/architecture.md draws
them. ``make lint`` runs the same linter; these tests make CI fail when a rule breaks even if
nobody ran it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
LAYERS = ("transport", "sync", "state", "cluster", "namespaces", "audience", "web", "ops")


def lint(tree: Path) -> subprocess.CompletedProcess:
    """Run import-linter over the ``app`` package in ``tree`` with the project's contracts."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--config", "pyproject.toml"],
                          cwd=tree, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def copy_of_app(tmp_path: Path) -> Path:
    """The app package and its contracts in a scratch tree, for breaking a rule on purpose."""
    shutil.copytree(ROOT / "app", tmp_path / "app",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_every_contract_is_kept():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_tree_shows_the_layers():
    """app/ holds the factory, config, extensions and cli, and one package per layer."""
    modules = {p.name for p in (ROOT / "app").glob("*.py")}
    assert modules == {"__init__.py", "config.py", "extensions.py", "cli.py"}
    packages = {p.name for p in (ROOT / "app").iterdir() if (p / "__init__.py").exists()}
    assert packages == set(LAYERS)
    for layer in LAYERS:
        doc = (ROOT / "app" / layer / "__init__.py").read_text()
        assert doc.startswith('"""') and "import" in doc, f"app/{layer} says what it may import"


@pytest.mark.parametrize("module, line, rule", [
    ("state/base.py", "import app.sync.rooms", "Layers"),
    ("transport/traffic.py", "import app.state.errors", "Layers"),
    ("sync/rooms.py", "import app.web.pages", "Layers"),
    ("state/memory_store.py", "import flask", "plain Python"),
    ("sync/broadcast.py", "import flask_socketio", "plain Python"),
    ("ops/metrics.py", "import flask", "know no Flask app"),
    ("sync/coalescer.py", "import app.extensions", "wiring"),
    ("state/hashes.py", "import app.state.memory_hashes", "cycles"),
])
def test_a_broken_rule_fails_with_the_linters_message(copy_of_app: Path, module: str,
                                                      line: str, rule: str):
    target = copy_of_app / "app" / module
    target.write_text(target.read_text() + f"\n{line}  # noqa\n")
    result = lint(copy_of_app)
    assert result.returncode != 0
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert rule in broken and "BROKEN" in result.stdout, result.stdout
