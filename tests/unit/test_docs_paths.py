"""Every file or folder that README.md and docs/*.md name in backticks exists, so a reader
sent to a path finds it (the layers moved once; docs must not point at the old tree)."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
        *sorted((ROOT / "bench").glob("*.md")),
        *sorted((ROOT / "bench").glob("*/README.md"))]
TOP = {p.name for p in ROOT.iterdir()} - {".git"}
# Made by `make` (copied from node_modules, or the virtualenv), not kept in git.
MADE = ("static/vendor/", ".venv/", "bench/node/node_modules/")
CODE = re.compile(r"`([^`\s]+)`")


def expand(path: str) -> list[str]:
    """``app/namespaces/{poll,qa}.py`` -> both files."""
    parts = re.split(r"\{([^}]*)\}", path)
    choices = [[p] if i % 2 == 0 else p.split(",") for i, p in enumerate(parts)]
    return ["".join(c) for c in itertools.product(*choices)]


def named_paths(text: str) -> set[str]:
    found = set()
    for token in CODE.findall(text):
        token = token.rstrip(".,:;")
        first = token.split("/", 1)[0]
        if "/" not in token or first not in TOP or "*" in token or "<" in token:
            continue
        path = token.split(":", 1)[0].split("#", 1)[0]
        found.update(expand(path))
    return found


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_named_path_exists(doc):
    missing = sorted(path for path in named_paths(doc.read_text())
                     if not path.startswith(MADE) and not (ROOT / path).exists())
    assert not missing, f"{doc.relative_to(ROOT)} names paths that do not exist: {missing}"


def test_the_check_sees_the_layers():
    """The check is not vacuous: README names files in every layer."""
    named = named_paths((ROOT / "README.md").read_text())
    for layer in ("transport", "sync", "state", "cluster", "audience", "namespaces", "web",
                  "ops"):
        assert any(p.startswith(f"app/{layer}/") for p in named), layer
    assert "app/namespaces/qa.py" in named
