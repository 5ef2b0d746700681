"""The README lists every setting the code reads, and no setting the code does not have."""

from __future__ import annotations

import re

from app.config import SETTINGS
from tests.support import ROOT


def test_readme_lists_every_setting():
    readme = (ROOT / "README.md").read_text()
    listed = set(re.findall(r"`(CHORUS_[A-Z_]+)`", readme))
    assert {s.env for s in SETTINGS} <= listed
    assert listed <= {s.env for s in SETTINGS}


def test_readme_starts_with_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```sh", 1)[1].split("```", 1)[0]
    assert "make run" in first_block and "make test" in first_block
