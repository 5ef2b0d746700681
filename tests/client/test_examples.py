"""The examples run as a speaker runs them: the plot headless, the notebook under nbclient.

Each follows the room's sliders while a browser moves them, and writes its ``result`` back,
which the room's display screen (/display/<room>) shows.
"""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import threading
import uuid

import nbformat
import pytest
from chorus_client import Room
from nbclient import NotebookClient
from playwright.sync_api import expect

from tests.audience_support import define_board
from tests.client.conftest import CLIENT_DIR, read_lines
from tests.support import ROOT

EXAMPLES = ROOT / "examples"
SCREENSHOT = ROOT / "docs" / "screenshots" / "live-coding.png"
# Tall enough that the board needs no scrolling under the page's sticky header.
PHONE = {"viewport": {"width": 360, "height": 2400}, "is_mobile": True, "has_touch": True}
pytestmark = pytest.mark.browser


def example_env(server_url: str, room: str, **extra: str) -> dict[str, str]:
    """No display (matplotlib falls back to Agg), the client on the path as if installed."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(PYTHONPATH=str(CLIENT_DIR), CHORUS_URL=server_url, CHORUS_ROOM=room,
               MPLBACKEND="Agg", **extra)
    return env


def shown_result(page):
    return page.locator('#values [data-key="result"] dd')


def test_live_plot_redraws_and_every_screen_sees_its_result(server, browser, page, tmp_path):
    room = f"plot-{uuid.uuid4().hex[:8]}"
    define_board(server.url, room)
    page.goto(f"{server.url}/display/{room}")
    phone_context = browser.new_context(**PHONE)
    phone = phone_context.new_page()
    phone.goto(f"{server.url}/r/{room}")
    expect(phone.locator("#badge")).to_have_attribute("data-status", "live")
    frames, out = tmp_path / "frames", tmp_path / "last.png"
    proc = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "live_plot.py"), "--room", room, "--seconds", "120",
         "--frames", str(frames), "--out", str(out)],
        cwd=tmp_path, env=example_env(server.url, room), stdout=subprocess.PIPE, text=True)
    try:
        lines = read_lines(proc)
        lines.wait_for(lambda items: "frame 1: 2.00 Hz at 50%" in items, what="the first frame")
        expect(shown_result(page)).to_have_text("2.00 Hz at 50%")
        phone.locator("#c-volume").fill("80")  # the hall moves both sliders
        lines.wait_for(lambda items: any(i and i.endswith("2.00 Hz at 80%") for i in items),
                       what="the frame for volume 80")
        with Room(server.url, room) as hall:  # and a second phone, from Python
            hall.set("tempo", 90)
        lines.wait_for(lambda items: any(i and i.endswith("1.50 Hz at 80%") for i in items),
                       what="the frame for volume 80, tempo 90")
        expect(shown_result(page)).to_have_text("1.50 Hz at 80%")
        expect(phone.locator("#o-tempo")).to_have_text("90")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0
        assert out.stat().st_size > 0
        assert len(list(frames.glob("frame-*.png"))) >= 3
        side_by_side(page, phone.locator("#board").screenshot(), out.read_bytes(),
                     page.locator("#shared").screenshot())
    finally:
        phone_context.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def side_by_side(page, board: bytes, plot: bytes, shown: bytes) -> None:
    """docs/screenshots/live-coding.png: a phone's sliders, the plot they drew, and the
    display screen showing the plot's result."""
    def img(data: bytes, width: int, caption: str) -> str:
        source = "data:image/png;base64," + base64.b64encode(data).decode()
        return (f'<figure style="margin:0"><img src="{source}" style="width:{width}px">'
                f"<figcaption>{caption}</figcaption></figure>")
    page.set_viewport_size({"width": 1240, "height": 560})
    page.set_content(
        '<body style="margin:0;padding:16px;display:flex;gap:20px;align-items:flex-start;'
        'font:14px system-ui,sans-serif;background:#f3f4f6">'
        + img(board, 300, "a phone: the room page's sliders")
        + img(plot, 520, "examples/live_plot.py: the wave they set")
        + img(shown, 320, "the display screen: the result written back") + "</body>")
    page.screenshot(path=str(SCREENSHOT), full_page=True)


def test_live_plot_stops_by_itself(server, tmp_path):
    room = f"plot-{uuid.uuid4().hex[:8]}"
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "live_plot.py"), "--room", room, "--seconds", "1",
         "--out", str(tmp_path / "plot.png")],
        cwd=tmp_path, env=example_env(server.url, room), capture_output=True, text=True,
        timeout=120)
    assert done.returncode == 0, done.stderr
    assert "frame 1: 2.00 Hz at 50%" in done.stdout
    assert (tmp_path / "plot.png").stat().st_size > 0


def test_notebook_updates_its_plot_in_place_and_writes_result(server, page, tmp_path,
                                                              monkeypatch):
    room = f"nb-{uuid.uuid4().hex[:8]}"
    for name, value in example_env(server.url, room, CHORUS_SECONDS="20").items():
        monkeypatch.setenv(name, value)  # the kernel is a child process: it inherits them
    page.goto(f"{server.url}/display/{room}")
    notebook = nbformat.read(EXAMPLES / "live-demo.ipynb", as_version=4)
    client = NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    failure: list[BaseException] = []

    def execute() -> None:
        try:
            client.execute()
        except BaseException as error:  # reported by the test's thread
            failure.append(error)

    running = threading.Thread(target=execute)
    running.start()
    try:
        expect(shown_result(page)).to_have_text("2.00 Hz at 50%", timeout=90000)
        with Room(server.url, room) as hall:
            hall.set("tempo", 30)
            expect(shown_result(page)).to_have_text("0.50 Hz at 50%")
    finally:
        running.join(120)
    assert not running.is_alive() and not failure, failure
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 1  # one output, updated in place
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "result = '0.50 Hz at 50%'" in printed
