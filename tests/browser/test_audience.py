"""Audience mode in real browsers: a presenter screen, three phones, the display, the QR code.

One presenter page (created through the landing page's form, as a person would) runs polls and
moderates questions; three audience pages, each its own browser context and so its own device
cookie, answer, ask and upvote. One of them is a touch phone at 360 px; another reaches the
server through an Nginx that strips the Upgrade header, so it works over long-polling only.
"""

from __future__ import annotations

import csv
import io
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
from playwright.sync_api import expect

from tests.support import ROOT, Nginx
from tests.tcp_proxy import TcpProxy

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}
SCREEN = {"viewport": {"width": 1280, "height": 800}}
SHOTS = ROOT / "docs" / "screenshots"
ZBARIMG = Path("/usr/bin/zbarimg")
MARKUP = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def polling_nginx(workdir, server):
    """An Nginx that strips the Upgrade header: pages behind it stay on long-polling."""
    proxy = Nginx(workdir, [server.port], strip_upgrade=True).start()
    yield proxy
    proxy.stop()


def create_room(page, base: str, room: str) -> str:
    """Create a room from the landing page's form, as a person would: the page ends on the live
    presenter screen, its token held as the presenter cookie and in no URL. Returns the token
    (the page's own, which its sockets join with)."""
    page.goto(f"{base}/")
    page.locator("#new-room").fill(room)
    page.get_by_role("button", name="Create room").click()
    page.wait_for_url(f"{base}/present/{room}*")  # then ?created=1 is dropped by the page
    expect(page.locator("#badge")).to_have_attribute("data-status", "live")
    wait_joined(page, "chorusScreen")
    token = page.locator("#present").get_attribute("data-token")
    assert token and token not in page.url
    return token


def watch_dialogs(page) -> list[str]:
    """Every alert/confirm/prompt the page opens (dismissed at once)."""
    opened: list[str] = []

    def record(dialog) -> None:
        opened.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    return opened


def wait_joined(page, handle: str = "chorusAudience") -> None:
    """The page's /poll, /qa and /pulse channels have joined the room."""
    page.wait_for_function(
        f"() => ['poll', 'qa', 'pulse'].every((n) => window.{handle}?.[n]?.joined)")


def open_audience(page, base: str, room: str) -> None:
    page.goto(f"{base}/r/{room}")
    expect(page.locator("#badge")).to_have_attribute("data-status", "live")
    wait_joined(page)


def open_screen(page, url: str) -> None:
    page.goto(url)
    expect(page.locator("#badge")).to_have_attribute("data-status", "live")
    wait_joined(page, "chorusScreen")


def open_poll(screen, kind: str, question: str, options: list[str] | None = None,
              hidden: bool = False) -> None:
    """Open a poll from the presenter's form."""
    if screen.locator("#new-poll").is_hidden():
        screen.locator("#new-poll-toggle").click()
    screen.locator(f'#poll-form input[name="kind"][value="{kind}"]').check()
    screen.locator("#poll-text").fill(question)
    if options is not None:
        screen.locator("#poll-options").fill("\n".join(options))
    if hidden:
        screen.locator("#poll-hidden").check()
    screen.locator("#poll-open").click()
    expect(screen.locator("#poll-question")).to_have_text(question)
    expect(screen.locator("#poll-state")).to_have_text("Open")


def press(page, locator) -> None:
    """A tap on the phone (the one page 360 px wide, with touch), a click elsewhere."""
    if page.viewport_size["width"] == PHONE["viewport"]["width"]:
        locator.tap()
    else:
        locator.click()


def test_presenter_and_three_devices_poll_ask_and_react(server, polling_nginx, new_page):
    room = "talk-" + uuid.uuid4().hex[:6]
    screen = new_page(**SCREEN)
    desk, slow, phone = new_page(), new_page(), new_page(**PHONE)
    pages = (screen, desk, slow, phone)
    dialogs = [watch_dialogs(page) for page in pages]

    token = create_room(screen, server.url, room)
    expect(screen.locator("#created")).to_be_visible()
    expect(screen.locator("#presenter-link")).to_contain_text(f"#token={token}")
    expect(screen.locator("#audience-link")).to_have_text(f"{server.url}/r/{room}")
    open_audience(desk, server.url, room)
    open_audience(slow, polling_nginx.url, room)
    open_audience(phone, server.url, room)
    expect(slow.locator("#badge")).to_have_attribute("data-transport", "polling")
    audience = (desk, slow, phone)
    expect(screen.locator("#members")).to_have_text("4")  # three devices and the screen
    for page in audience:
        expect(page.locator("#poll")).to_be_hidden()  # no poll yet: nothing shown

    # A word cloud: equal answers, whatever their case, spacing and punctuation, count once.
    open_poll(screen, "cloud", "One word for Flask?")
    for page, word in zip(audience, ("Flask", "flask!", " FLASK"), strict=True):
        expect(page.locator("#poll-question")).to_have_text("One word for Flask?")
        page.locator("#cloud-word").fill(word)
        press(page, page.locator(".cloud-form button"))
        expect(page.locator(".mine-word")).to_have_text("Your answer: flask")
    expect(screen.locator("#poll-results .cloud li")).to_have_count(1)
    expect(screen.locator('#poll-results .cloud li[data-word="flask"] .count')).to_have_text("3")
    expect(phone.locator('#poll-results .cloud li[data-word="flask"] .count')).to_have_text("3")

    # Multiple choice: three answers, then the phone changes its mind.
    open_poll(screen, "choice", "Which framework?", ["Flask", "Django", "FastAPI"])
    options = {page: page.locator("#poll-answer .option") for page in audience}
    for page in audience:
        expect(page.locator("#poll-question")).to_have_text("Which framework?")
        expect(options[page]).to_have_text(["Flask", "Django", "FastAPI"])
    press(desk, options[desk].nth(0))
    press(slow, options[slow].nth(1))
    press(phone, options[phone].nth(1))
    expect(options[phone].nth(1)).to_have_attribute("aria-pressed", "true")
    press(phone, options[phone].nth(0))
    expect(options[phone].nth(0)).to_have_attribute("aria-pressed", "true")
    expect(options[phone].nth(1)).to_have_attribute("aria-pressed", "false")
    expect(options[desk].nth(0)).to_have_attribute("aria-pressed", "true")
    expect(options[slow].nth(1)).to_have_attribute("aria-pressed", "true")
    for page in (screen, phone):  # the presenter always, the phone since results are revealed
        for option, count in enumerate(("2", "1", "0")):
            expect(page.locator(f'#poll-results [data-option="{option}"] .count')) \
                .to_have_text(count)
        expect(page.locator("#poll-results .total")).to_have_text("3 answers")

    # Q&A: a question, upvoted by the two others, answered by the presenter.
    question = "How does one gevent worker serve 10,000 phones?"
    desk.locator("#ask-text").fill(question)
    desk.locator("#ask-name").fill("Ada")
    desk.locator("#ask-send").click()
    expect(desk.locator("#ask-note")).to_have_text("Thanks, your question is in.")
    for page in pages:
        expect(page.locator("#questions .question")).to_have_count(1)
        expect(page.locator("#questions .q-text")).to_have_text(question)
        expect(page.locator("#questions .q-name")).to_have_text("Ada")
    for page in (slow, phone):
        upvote = page.locator("#questions .upvote")
        press(page, upvote)
        expect(upvote).to_have_attribute("aria-pressed", "true")
        expect(upvote).to_be_disabled()
    # Screen readers hear of the new question (the asker's own page says "thanks" instead).
    for page in (screen, phone):
        expect(page.locator("#announce")).to_have_text(f"New question: {question}")
    expect(screen.locator("#questions .votes")).to_have_text("2")
    expect(desk.locator("#questions .votes")).to_have_text("2")
    question_id = screen.locator("#questions .question").get_attribute("data-id")
    stored = phone.evaluate(f"JSON.parse(localStorage.getItem('chorus.upvoted.{room}'))")
    assert stored == [question_id]
    screen.locator("#questions .q-answer").click()
    for page in pages:
        expect(page.locator("#questions .q-answered")).to_be_visible()
    expect(screen.locator("#questions .q-answer")).to_have_attribute("aria-pressed", "true")

    # Reactions and pace: the phones send, the screen counts and shows the meter.
    for emoji in ("👏", "👏", "👏", "🎉"):
        press(phone, phone.locator(f'.reaction[data-emoji="{emoji}"]'))
    desk.locator('.reaction[data-emoji="❤️"]').click()
    for page, pace in ((desk, "good"), (slow, "fast"), (phone, "good")):
        press(page, page.locator(f'.pace button[data-pace="{pace}"]'))
        expect(page.locator(f'.pace button[data-pace="{pace}"]')) \
            .to_have_attribute("aria-pressed", "true")
    expect(screen.locator('#reaction-counts [data-emoji="👏"] .count')).to_have_text("3")
    expect(screen.locator('#reaction-counts [data-emoji="❤️"] .count')).to_have_text("1")
    expect(screen.locator("#pace-voters")).to_have_text("3 votes in the last minute")

    # The pictures in docs/: the screen without its secret box, the phone at its poll.
    screen.locator("#created-close").click()
    expect(screen.locator("#created")).to_have_count(0)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for emoji in ("🎉", "👏", "❤️", "🤯"):  # some emoji in flight for the picture
        press(phone, phone.locator(f'.reaction[data-emoji="{emoji}"]'))
    expect(screen.locator('#reaction-counts [data-emoji="🤯"] .count')).to_have_text("1")
    screen.evaluate("window.scrollTo(0, 0)")
    screen.screenshot(path=str(SHOTS / "presenter.png"))
    phone.evaluate("window.scrollTo(0, 0)")
    phone.screenshot(path=str(SHOTS / "audience-phone.png"))

    # Closing: answers stop, every page says so, and the export has exactly the counts shown.
    screen.locator("#poll-close").click()
    for page in audience:
        expect(page.locator("#poll-state")).to_have_text("Closed")
        for i in range(3):
            expect(options[page].nth(i)).to_be_disabled()
    expect(screen.locator("#poll-state")).to_have_text("Closed")
    href = screen.locator("#poll-csv").get_attribute("href")
    assert token not in href
    reply = screen.request.get(urljoin(server.url, href))  # with the page's presenter cookie
    assert reply.status == 200, reply.text()
    reply = requests.get(urljoin(server.url, href), cookies={"chorus_presenter": token},
                         timeout=10)
    assert reply.status_code == 200, reply.text
    rows = list(csv.reader(io.StringIO(reply.text)))
    assert rows[1:] == [["answer", "count"], ["Flask", "2"], ["Django", "1"], ["FastAPI", "0"],
                        ["total", "3"]]
    json_href = screen.locator("#poll-json").get_attribute("href")
    assert screen.request.get(urljoin(server.url, json_href)).json()["results"] == \
        {"total": 3, "counts": [2, 1, 0]}
    assert requests.get(urljoin(server.url, href), timeout=10).status_code == 403

    # An upvote is remembered on the device: after a reload it is still done.
    phone.reload()
    wait_joined(phone)
    expect(phone.locator("#questions .upvote")).to_be_disabled()
    assert all(not opened for opened in dialogs)


def test_markup_from_the_audience_shows_as_text_everywhere(server, new_page):
    room = "xss-" + uuid.uuid4().hex[:6]
    screen, display, phone = new_page(**SCREEN), new_page(**SCREEN), new_page(**PHONE)
    pages = (screen, display, phone)
    dialogs = [watch_dialogs(page) for page in pages]
    create_room(screen, server.url, room)
    open_screen(display, f"{server.url}/display/{room}")
    open_audience(phone, server.url, room)
    expect(display.locator("#poll-form")).to_have_count(0)  # the display has no controls

    # A poll whose question and option are markup, its results hidden until revealed.
    open_poll(screen, "choice", MARKUP, [MARKUP, "<b>bold</b>"], hidden=True)
    for page in (display, phone):
        expect(page.locator("#poll-question")).to_have_text(MARKUP)
    expect(phone.locator("#poll-answer .option")).to_have_text([MARKUP, "<b>bold</b>"])
    phone.locator("#poll-answer .option").nth(0).tap()
    expect(screen.locator('#poll-results [data-option="0"] .count')).to_have_text("1")
    expect(screen.locator('#poll-results [data-option="0"] .bar-label')).to_have_text(MARKUP)
    expect(display.locator("#poll-note")).to_contain_text("when the presenter reveals them")
    expect(display.locator("#poll-results")).to_be_hidden()  # not revealed: the display waits
    expect(phone.locator("#poll-results")).to_be_hidden()
    screen.locator("#poll-reveal").click()
    for page in (display, phone):
        expect(page.locator('#poll-results [data-option="0"] .count')).to_have_text("1")
        expect(page.locator('#poll-results [data-option="0"] .bar-label')).to_have_text(MARKUP)

    # A question and a name that are markup.
    phone.locator("#ask-text").fill(MARKUP)
    phone.locator("#ask-name").fill(MARKUP)
    phone.locator("#ask-send").tap()
    for page in pages:
        expect(page.locator("#questions .q-text")).to_have_text(MARKUP)
        expect(page.locator("#questions .q-name")).to_have_text(MARKUP)

    # A word-cloud answer that is markup (nothing in it is trimmed as punctuation).
    open_poll(screen, "cloud", "Say anything")
    expect(phone.locator("#poll-question")).to_have_text("Say anything")
    phone.locator("#cloud-word").fill(MARKUP)
    phone.locator(".cloud-form button").tap()
    for page in pages:
        expect(page.locator("#poll-results .cloud .word")).to_have_text(MARKUP.lower())

    for page in pages:
        assert page.locator("img:not(#qr)").count() == 0
        assert page.locator("main b").count() == 0
    assert all(not opened for opened in dialogs), dialogs


def test_qr_code_on_the_presenter_screen_decodes_to_the_join_link(server, new_page, tmp_path):
    if not ZBARIMG.exists():
        pytest.fail(f"{ZBARIMG} is missing: `make test` installs it (apt-get install zbar-tools)")
    room = "qr-" + uuid.uuid4().hex[:6]
    screen = new_page(**SCREEN)
    create_room(screen, server.url, room)
    screen.locator("#created-close").click()
    screen.wait_for_function("() => { const qr = document.getElementById('qr');"
                             " return qr.complete && qr.naturalWidth > 0; }")
    box = screen.locator("#qr").bounding_box()
    assert box["width"] >= 300 and box["height"] >= 300, box
    shot = tmp_path / "presenter.png"
    screen.screenshot(path=str(shot))  # the whole screen, as a camera or a stream would see it
    decoded = subprocess.run([str(ZBARIMG), "--raw", "-q", str(shot)], capture_output=True,
                             text=True, timeout=30)
    assert decoded.returncode == 0, f"zbarimg found no code: {decoded.stderr}"
    shown = screen.locator("#join-url").text_content()
    assert decoded.stdout.strip() == shown == f"{server.url}/r/{room}"
    # 127.0.0.1 is out of reach of phones: the screen says so, and what to do.
    expect(screen.locator("#loopback-warning")).to_be_visible()
    expect(screen.locator("#loopback-warning")).to_contain_text("CHORUS_PUBLIC_URL=http://")


def test_question_asked_while_cut_off_arrives_once_after_the_reconnect(server, new_page):
    """The phone's network drops; it asks anyway, the presenter opens a poll meanwhile. Back
    online, the page rejoins, shows the poll from the join ack and sends the question, once."""
    room = "drop-" + uuid.uuid4().hex[:6]
    proxy = TcpProxy(server.port)
    try:
        screen, phone = new_page(**SCREEN), new_page(**PHONE)
        create_room(screen, server.url, room)
        open_audience(phone, proxy.url, room)
        proxy.cut()
        phone.wait_for_function("() => !window.chorusAudience.qa.joined")
        phone.locator("#ask-text").fill("Asked in a tunnel")
        phone.locator("#ask-send").tap()
        expect(phone.locator("#ask-send")).to_have_text("Sending…")
        open_poll(screen, "choice", "Still with us?", ["yes", "no"])
        proxy.restore()
        expect(phone.locator("#ask-note")).to_have_text("Thanks, your question is in.",
                                                        timeout=30000)
        expect(phone.locator("#poll-question")).to_have_text("Still with us?")
        phone.locator("#poll-answer .option").nth(0).tap()
        expect(screen.locator('#poll-results [data-option="0"] .count')).to_have_text("1")
        expect(screen.locator("#questions .q-text")).to_have_text(["Asked in a tunnel"])
    finally:
        proxy.close()
