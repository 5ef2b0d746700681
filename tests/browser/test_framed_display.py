"""The projector view framed by another site's page, in a browser that blocks third-party
cookies and storage: the display still connects and shows the open poll.

The outer page is served by a tiny http server on ``localhost``, Chorus on ``127.0.0.1``: two
sites, so /display inside the frame is third-party. The browser is a persistent Chromium
profile whose preferences block third-party cookies (the setting a privacy-minded browser, or
an embedding conference platform's users, have on); there the frame's ``localStorage`` getter
throws, which the test checks first, so it proves the blocking is real.
"""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS
from tests.browser.rooms import stage_room
from tests.support import Server, free_port

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def outer_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def framed_server(workdir, outer_port):
    """Chorus allowing the outer site to frame it."""
    srv = Server(workdir, {"CHORUS_STORE": "memory://",
                           "CHORUS_FRAME_ANCESTORS": f"'self' http://localhost:{outer_port}"})
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def outer_site(outer_port, framed_server):
    """http://localhost:<port>/?src=... answers a page with one iframe of ``src``."""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            src = self.path.split("?src=", 1)[-1]
            body = (f'<!doctype html><title>Conference</title><h1>Talk</h1>'
                    f'<iframe id="chorus" src="{src}" width="1280" height="720"></iframe>')
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", outer_port), Page)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{outer_port}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def blocking_context(tmp_path_factory):
    """A Chromium profile that blocks third-party cookies (and with them third-party storage)."""
    profile = tmp_path_factory.mktemp("profile")
    (profile / "Default").mkdir()
    prefs = {"profile": {"cookie_controls_mode": 1, "block_third_party_cookies": True}}
    (profile / "Default" / "Preferences").write_text(json.dumps(prefs))
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 900})
        yield context
        context.close()


def test_framed_display_shows_the_open_poll_without_storage(framed_server, outer_site,
                                                            blocking_context):
    staged = stage_room(framed_server.url, "framed-" + uuid.uuid4().hex[:6])
    page = blocking_context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{outer_site}/?src={framed_server.url}/display/{staged.room}")
    frame = page.frame_locator("#chorus")
    inner = next(f for f in page.frames if f.url.startswith(framed_server.url))
    inner.wait_for_load_state()
    # The blocking is real: storage throws, and no cookie is kept, inside the frame.
    assert inner.evaluate("() => { try { localStorage.length; return 'open'; }"
                          " catch (e) { return e.name; } }") == "SecurityError"
    expect(frame.locator("#badge")).to_have_attribute("data-status", "live")
    expect(frame.locator("#poll-question")).to_have_text("Welches Framework?")
    expect(frame.locator("#poll-results")).to_have_attribute("data-total", "2")
    expect(frame.locator("#questions .question")).to_have_count(2)
