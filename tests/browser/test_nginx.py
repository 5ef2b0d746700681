"""Real Chromium through real Nginx: websocket when the proxy allows it, polling when it does not,
and a page from another origin refused."""

from __future__ import annotations

import threading
import time
import uuid
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from tests.audience_support import define_board
from tests.events_reader import EventReader
from tests.support import ROOT, Nginx

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def blocking_nginx(workdir, server):
    """A second Nginx that strips the Upgrade header: a proxy that blocks WebSockets."""
    proxy = Nginx(workdir, [server.port], strip_upgrade=True).start()
    yield proxy
    proxy.stop()


DEFINED: set[str] = set()


def open_room(page, base, room):
    """Open the room page; the first time, define the room's board (the six familiar
    controls), as its presenter would."""
    if room not in DEFINED:
        DEFINED.add(room)
        define_board(base, room)
    page.goto(f"{base}/r/{room}")
    expect(page.locator("#badge")).to_have_attribute("data-status", "live")


def test_page_through_nginx_uses_websocket(nginx, new_page):
    page = new_page()
    open_room(page, nginx.url, "via-nginx")
    expect(page.locator("#badge")).to_have_attribute("data-transport", "websocket")
    expect(page.locator("#badge")).to_contain_text("websocket")


def test_blocked_websocket_falls_back_to_polling_and_stays_in_sync(nginx, blocking_nginx,
                                                                   new_page):
    room = "fallback-" + uuid.uuid4().hex[:6]
    ws_page, polling_page = new_page(), new_page()
    open_room(ws_page, nginx.url, room)
    open_room(polling_page, blocking_nginx.url, room)
    expect(ws_page.locator("#badge")).to_have_attribute("data-transport", "websocket")
    # the upgrade is tried and fails; the page stays on polling and says so
    expect(polling_page.locator("#badge")).to_contain_text("polling")
    expect(polling_page.locator("#badge")).to_have_attribute("data-transport", "polling")

    ws_page.locator("#c-volume").fill("31")
    expect(polling_page.locator("#c-volume")).to_have_value("31")
    for _ in range(4):
        polling_page.get_by_role("button", name="+1", exact=True).click()
    expect(ws_page.locator("#c-count")).to_have_text("4")
    expect(polling_page.locator("#presence")).to_have_text("2 here")
    polling_page.screenshot(path=str(ROOT / "docs" / "screenshots" / "room-polling.png"))
    expect(polling_page.locator("#badge")).to_have_attribute("data-transport", "polling")


def test_page_from_another_origin_is_refused(nginx, server, new_page, workdir):
    """A page on another origin cannot open a Socket.IO connection; the refusal is one line."""
    other = OtherOrigin(workdir, nginx.url)
    try:
        page = new_page()
        page.goto(other.url + "/attack.html")
        page.wait_for_function("() => window.outcome !== null")
        assert page.evaluate("window.outcome").startswith("refused")
        lines = [line for line in server.log().splitlines() if f"origin {other.url}:" in line]
        assert len(lines) == 1, lines
        assert "refused Socket.IO connection" in lines[0]
    finally:
        other.close()


class OtherOrigin:
    """A page on another loopback origin (its own port) that tries to connect to Chorus."""

    def __init__(self, workdir, target: str) -> None:
        folder = workdir / "other-origin"
        folder.mkdir(exist_ok=True)
        (folder / "attack.html").write_text(f"""<!doctype html>
            <script src="{target}/static/vendor/socket.io.min.js"></script>
            <script>
              window.outcome = null;
              const s = io("{target}/sync", {{reconnection: false}});
              s.on("connect", () => {{ window.outcome = "connected"; }});
              s.on("connect_error", (e) => {{ window.outcome = "refused: " + e.message; }});
            </script>""")
        handler = partial(_QuietHandler, directory=str(folder))
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def test_a_slider_moved_in_a_page_reaches_an_event_stream_through_nginx(nginx, new_page):
    room = "stream-" + uuid.uuid4().hex[:6]
    page = new_page()
    open_room(page, nginx.url, room)
    page.locator("#c-volume").fill("12")  # the board's start values made the room exist
    reader = None
    deadline = time.monotonic() + 15
    while reader is None:
        candidate = EventReader(nginx.url, room)
        if candidate.response.status_code == 200:
            reader = candidate
        else:
            assert candidate.response.status_code == 404 and time.monotonic() < deadline
            time.sleep(0.1)  # the write is on its way to the store
    try:
        assert reader.next().kind == "snapshot"
        page.locator("#c-volume").fill("77")
        while True:
            event = reader.next()
            assert event.kind == "changes"
            if any(str(c["value"]) == "77" for c in event.data["changes"]):
                break
    finally:
        reader.close()
