"""A page whose network drops keeps its clicks, catches up by itself, and counts each once.

The path is page -> TCP proxy -> Nginx (nginx/chorus.conf) -> gunicorn; the test cuts the proxy,
outside the browser, since Playwright's offline mode only pauses an open WebSocket.
"""

from __future__ import annotations

import time
import uuid

import pytest
from playwright.sync_api import expect

from tests.audience_support import define_board
from tests.support import Nginx, Server
from tests.tcp_proxy import TcpProxy

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def durable_server(workdir):
    """SQLite, so the store outlives nothing here but behaves as in production."""
    srv = Server(workdir, {"CHORUS_STORE": f"sqlite:///{workdir}/reconnect.db",
                           "CHORUS_PROXIES": "1"}).start()
    front = Nginx(workdir, [srv.port]).start()
    srv.front = front
    yield srv
    front.stop()
    srv.stop()


@pytest.fixture
def proxy(durable_server):
    p = TcpProxy(durable_server.front.port)
    yield p
    p.close()


def live(page):
    expect(page.locator("#badge")).to_have_attribute("data-status", "live", timeout=20000)


def test_cut_off_page_rejoins_and_counts_its_clicks_once(durable_server, proxy, new_page):
    room = "drop-" + uuid.uuid4().hex[:6]
    define_board(durable_server.front.url, room)
    steady, flaky = new_page(), new_page()
    steady.goto(f"{durable_server.front.url}/r/{room}")
    flaky.goto(f"{proxy.url}/r/{room}")
    live(steady)
    live(flaky)

    proxy.cut()
    cut_at = time.monotonic()
    expect(flaky.locator("#badge")).to_have_text("reconnecting…", timeout=20000)
    steady.locator("#c-volume").fill("12")
    steady.locator("#c-message").fill("changed while you were away")
    steady.locator("#c-message").press("Tab")
    for _ in range(5):
        flaky.get_by_role("button", name="+1", exact=True).click()
    expect(flaky.locator("#c-count")).to_have_text("5")  # shown at once, from the outbox
    assert flaky.evaluate("window.chorusRoom.pending().length") == 5
    time.sleep(max(0.0, 10.0 - (time.monotonic() - cut_at)))  # a ten-second drop

    proxy.restore()
    live(flaky)
    assert flaky.evaluate("window.chorusRoom.lastJoin") == "changes"  # caught up with since
    expect(flaky.locator("#c-volume")).to_have_value("12")
    expect(flaky.locator("#c-message")).to_have_value("changed while you were away")
    expect(steady.locator("#c-count")).to_have_text("5")
    flaky.wait_for_function("() => window.chorusRoom.pending().length === 0")
    snapshot = steady.request.get(f"{durable_server.url}/api/rooms/{room}").json()
    assert snapshot["values"]["count"]["value"] == 5


def test_outbox_survives_a_reload(durable_server, proxy, new_page):
    room = "reload-" + uuid.uuid4().hex[:6]
    define_board(durable_server.front.url, room)
    steady, flaky = new_page(), new_page()
    steady.goto(f"{durable_server.front.url}/r/{room}")
    flaky.goto(f"{proxy.url}/r/{room}")
    live(steady)
    live(flaky)

    proxy.cut()
    expect(flaky.locator("#badge")).to_have_text("reconnecting…", timeout=20000)
    for _ in range(5):
        flaky.get_by_role("button", name="+1", exact=True).click()
    assert flaky.evaluate("window.chorusRoom.pending().length") == 5
    proxy.restore()
    flaky.reload()  # before the old page could reconnect and send
    live(flaky)
    expect(steady.locator("#c-count")).to_have_text("5")
    expect(flaky.locator("#c-count")).to_have_text("5")
    flaky.wait_for_function("() => window.chorusRoom.pending().length === 0")
    snapshot = steady.request.get(f"{durable_server.url}/api/rooms/{room}").json()
    assert snapshot["values"]["count"]["value"] == 5
