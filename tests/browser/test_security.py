"""The Content-Security-Policy and the presenter's secret, in a real Chromium.

Every page of the URL map loads under the policy with no violation reported; an inline script,
an inline event handler and a ``style`` attribute slipped into a page are blocked; a room
created in the browser leaves its token in no URL: not the address bar, not the history, not
the ``Referer`` of the page's own requests, not the access log. The presenter screen still
runs its room, and a second browser given the copied link becomes its presenter too.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from app import create_app
from tests.support import Server

pytestmark = pytest.mark.browser

SCREEN = {"viewport": {"width": 1280, "height": 800}}
# One value per URL variable; a new variable fails the walk with a KeyError naming it.
SAMPLES = {"room": "demo", "poll": "1", "fmt": "csv", "key": "volume", "filename": "style.css",
           "locale": "de"}
# Collects what the page's policy refused, from the first line of every document (Playwright
# injects this itself; the page's CSP does not apply to it).
WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__violations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


@pytest.fixture(scope="module")
def server(workdir):
    srv = Server(workdir, {"CHORUS_STORE": "memory://", "CHORUS_ACCESS_LOG": "1"}).start()
    yield srv
    srv.stop()


def page_paths() -> list[str]:
    """Every GET route of the URL map with sample values, less the endless event stream."""
    app = create_app({"ASYNC_MODE": "threading", "STORE": "memory://", "SEED_DEMO": False})
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint.startswith("events."):
            continue
        paths.append(re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: SAMPLES[m.group(1)],
                            rule.rule))
    return sorted(paths)


def watched(page) -> list[str]:
    """Console lines in which Chromium reports a policy violation."""
    reported: list[str] = []
    page.add_init_script(WATCH_VIOLATIONS)
    page.on("console", lambda message: reported.append(message.text)
            if "Content Security Policy" in message.text else None)
    return reported


def violations(page, reported: list[str]) -> list[str]:
    return [*reported, *page.evaluate("window.__violations || []")]


def create_in_browser(page, base: str, room: str) -> str:
    """The landing page's form, as a person fills it; returns the presenter's token."""
    page.goto(f"{base}/")
    page.locator("#new-room").fill(room)
    page.get_by_role("button", name="Create room").click()
    page.wait_for_url(f"{base}/present/{room}*")
    expect(page.locator("#badge")).to_have_attribute("data-status", "live")
    page.wait_for_function("() => ['poll', 'qa', 'pulse']"
                           ".every((n) => window.chorusScreen?.[n]?.joined)")
    return page.locator("#present").get_attribute("data-token")


def history_urls(page) -> list[str]:
    """The tab's session history as Chromium holds it (DevTools protocol)."""
    session = page.context.new_cdp_session(page)
    try:
        return [entry["url"] for entry in
                session.send("Page.getNavigationHistory")["entries"]]
    finally:
        session.detach()


def test_every_page_loads_under_the_policy_without_a_violation(server, new_page):
    page = new_page(**SCREEN)
    reported = watched(page)
    room = "csp-" + uuid.uuid4().hex[:6]
    create_in_browser(page, server.url, room)  # the presenter screen, live
    page.locator("#new-poll-toggle").click()
    page.locator("#second-device summary").click()
    paths = [*page_paths(), f"/present/{room}", "/present/nobody-here", "/r/demo",
             "/display/demo", "/?error=x&taken=y", "/no/such/page"]
    assert len(paths) > 10
    for path in paths:
        page.goto(server.url + path, wait_until="load")
        if path in ("/r/demo", "/display/demo", f"/present/{room}"):
            expect(page.locator("#badge")).to_have_attribute("data-status", "live")
        found = violations(page, reported)
        assert not found, (path, found)


def test_an_injected_inline_script_handler_and_style_are_blocked(server, new_page):
    page = new_page()
    reported = watched(page)
    injected = ('<script>window.__ran = "script";</script>'
                '<img id="bad" src="/static/none.png" onerror="window.__ran = \'handler\'">'
                '<p id="styled" style="color: rgb(255, 0, 0)">styled</p>')

    def inject(route) -> None:
        response = route.fetch()
        body = response.text().replace("</main>", injected + "</main>")
        route.fulfill(response=response, body=body)  # the server's own headers, CSP included

    page.route(f"{server.url}/r/demo", inject)
    page.goto(f"{server.url}/r/demo")
    expect(page.locator("#badge")).to_have_attribute("data-status", "live")
    expect(page.locator("#styled")).to_have_text("styled")  # the markup arrived...
    page.wait_for_function("() => window.__violations.length >= 3")
    assert page.evaluate("window.__ran") is None  # ...and neither script ran
    assert page.evaluate("getComputedStyle(document.getElementById('styled')).color") \
        != "rgb(255, 0, 0)"
    directives = " ".join(violations(page, reported))
    assert "script-src" in directives and "style-src" in directives


def test_the_presenter_token_stays_out_of_every_url(server, new_page):
    room = "tok-" + uuid.uuid4().hex[:6]
    screen = new_page(**SCREEN, permissions=["clipboard-read", "clipboard-write"])
    sent: list[dict] = []
    screen.on("request", lambda request: sent.append({"url": request.url,
                                                       **request.all_headers()}))
    token = create_in_browser(screen, server.url, room)
    assert token and len(token) >= 20

    assert token not in screen.url and "created" not in screen.url
    assert not [url for url in history_urls(screen) if token in url]
    assert sent and not [r["url"] for r in sent if token in r["url"]]
    assert not [r for r in sent if token in r.get("referer", "")]
    # Only the room's presenter paths get the cookie: not the static files, not Socket.IO.
    with_cookie = [r["url"] for r in sent if token in r.get("cookie", "")]
    assert with_cookie and all(url.startswith(f"{server.url}/present/{room}")
                               for url in with_cookie), with_cookie
    hrefs = screen.evaluate("[...document.querySelectorAll('[href], [src]')]"
                            ".map((e) => e.href || e.src)")
    # No download or switch link holds it; only the second device's link does, in its fragment.
    assert hrefs and not [url for url in hrefs if token in url.split("#")[0]]
    # A presenter page sends no Referer at all: its own requests do not name the room's page.
    assert not [r for r in sent if "/present/" in r.get("referer", "")]
    assert [r for r in sent if "/socket.io/" in r["url"] and "referer" not in r]

    # The presenter controls still work: a poll opens and the screen shows it.
    expect(screen.locator("#poll-form")).to_be_visible()  # open while no poll runs
    screen.locator('#poll-form input[name="kind"][value="scale"]').check()
    screen.locator("#poll-text").fill("How clear was this?")
    screen.locator("#poll-open").click()
    expect(screen.locator("#poll-state")).to_have_text("Open")

    # The second device: the link copied from the presenter screen makes it presenter too.
    screen.locator("#second-device summary").click()
    screen.locator("#copy-presenter-link").click()
    expect(screen.locator("#copy-note")).to_have_text("Copied")
    link = screen.evaluate("navigator.clipboard.readText()")
    assert link == f"{server.url}/present/{room}#token={token}"
    laptop = new_page(**SCREEN)
    laptop_sent: list[str] = []
    laptop.on("request", lambda request: laptop_sent.append(request.url))
    laptop.goto(link)
    laptop.wait_for_url(f"{server.url}/present/{room}")
    expect(laptop.locator("#badge")).to_have_attribute("data-status", "live")
    expect(laptop.locator("#poll-question")).to_have_text("How clear was this?")
    expect(laptop.locator("#poll-close")).to_be_visible()  # controls: it runs the room
    laptop.locator("#poll-close").click()
    expect(screen.locator("#poll-state")).to_have_text("Closed")
    assert token not in laptop.url
    assert not [url for url in history_urls(laptop) if token in url]
    assert not [url for url in laptop_sent if token in url]

    # A wrong link gets the 403 page and stays there.
    stranger = new_page()
    stranger.goto(f"{server.url}/present/{room}#token=not-the-token")
    expect(stranger.locator("#refused")).to_be_visible()
    expect(stranger.locator("h1")).to_have_text("This presenter link is not valid")
    expect(stranger.locator("#poll-close")).to_have_count(0)

    log = server.log()
    # The access log never holds it; the one line that does is the room's creation, logged so
    # that a lost link can be found again (docs/security.md, "The log holds presenter links").
    holding = [line for line in log.splitlines() if token in line]
    assert f"/present/{room}" in log and len(holding) == 1, holding
    assert f"room {room} created; presenter link" in holding[0], holding
