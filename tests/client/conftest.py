"""The Python client, the CLI and the examples against a real gunicorn, once per module.

The client is imported from clients/python as a speaker's installed copy would be (the
fresh-virtualenv test installs it for real); the server takes HTTP writes with API_TOKEN.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS
from tests.support import ROOT, Server

CLIENT_DIR = ROOT / "clients" / "python"
if str(CLIENT_DIR) not in sys.path:
    sys.path.insert(0, str(CLIENT_DIR))

API_TOKEN = "client-tests-token"


@pytest.fixture(scope="module")
def server(workdir):
    """One gunicorn with the memory store and an API token for the whole module."""
    srv = Server(workdir, {"CHORUS_STORE": "memory://", "CHORUS_API_TOKEN": API_TOKEN}).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


class Recorder:
    """Things that arrive on other threads (callbacks, a child's output lines), waitable."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self.cond = threading.Condition()

    def add(self, item: Any) -> None:
        with self.cond:
            self.items.append(item)
            self.cond.notify_all()

    def wait_for(self, predicate: Callable[[list[Any]], Any], timeout: float = 20.0,
                 what: str = "condition") -> Any:
        with self.cond:
            if not self.cond.wait_for(lambda: predicate(self.items), timeout):
                raise AssertionError(f"timed out waiting for {what}; got {self.items[-10:]}")
            return predicate(self.items)


def read_lines(proc: subprocess.Popen) -> Recorder:
    """Every line the child prints, recorded by a thread as it comes."""
    lines = Recorder()

    def pump() -> None:
        for line in proc.stdout:
            lines.add(line.rstrip("\n"))
        lines.add(None)  # end of output

    threading.Thread(target=pump, daemon=True).start()
    return lines


@pytest.fixture
def recorder() -> Callable[[], Recorder]:
    return Recorder
