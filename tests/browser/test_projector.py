"""The presenter screen and the display on a projector: reactions in their own lane and their
totals kept across a reload, type that scales with the screen's height, a display that fits
1280 x 720 with a dozen questions, and focus mode (the poll or one question full screen)."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.audience_support import AudienceClient, device_session
from tests.browser.rooms import stage_room
from tests.support import ROOT

pytestmark = pytest.mark.browser

HD = {"viewport": {"width": 1920, "height": 1080}}
SMALL = {"viewport": {"width": 1280, "height": 720}}


@pytest.fixture(scope="module")
def staged(server):
    """A staged room with twelve questions in all."""
    staged = stage_room(server.url, "hall-" + uuid.uuid4().hex[:6])
    for n in range(10):  # ten phones, each asking once
        asker = AudienceClient(server.url, "/qa", device_session(server.url, staged.room))
        try:
            assert asker.call("join", {"room": staged.room})["ok"]
            text = f"Frage {n + 3}: how does this behave when the room is large and busy?"
            asked = asker.call("ask", {"room": staged.room, "text": text, "name": "Ada"})
            assert asked["ok"], asked
        finally:
            asker.close()
    return staged


def live(page, questions: int = 12) -> None:
    expect(page.locator("#badge")).to_have_attribute("data-status", "live")
    page.wait_for_function("() => ['poll', 'qa', 'pulse'].every((n) => chorusScreen[n].joined)")
    expect(page.locator("#questions .question")).to_have_count(questions)


def overlaps(a: dict, b: dict) -> bool:
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


def test_reactions_keep_off_the_text_and_their_totals_survive_a_reload(server, staged,
                                                                       new_page):
    screen = new_page(**HD)
    screen.goto(f"{server.url}/display/{staged.room}")
    live(screen)
    phone = AudienceClient(server.url, "/pulse")
    try:
        assert phone.call("join", {"room": staged.room})["ok"]
        for _ in range(3):
            assert phone.call("react", {"room": staged.room, "emoji": "🎉"})["ok"]
    finally:
        phone.close()
    clap = screen.locator('#reaction-counts [data-emoji="🎉"] .count')
    expect(clap).to_have_text("3")
    expect(screen.locator("#bursts .floater").first).to_be_attached()
    lane = screen.locator("#bursts").bounding_box()
    for card in screen.locator(".card, header.top > *").all():
        box = card.bounding_box()
        if box:
            assert not overlaps(lane, box), (card.get_attribute("id"), lane, box)
    screen.reload()
    live(screen)
    expect(clap).to_have_text("3")  # from the server, not this page's memory


FONT = "(s) => parseFloat(getComputedStyle(document.querySelector(s)).fontSize)"
SIZED = ("#questions .q-text", "#questions .q-name", "#poll-state", "#poll-question", "#qa-title")


def test_type_scales_with_the_screen_height(server, staged, new_page):
    sizes = {}
    for name, size in (("hd", HD), ("small", SMALL)):
        screen = new_page(**size)
        screen.goto(f"{server.url}/display/{staged.room}")
        live(screen)
        sizes[name] = {s: screen.evaluate(FONT, s) for s in SIZED}
    for selector in SIZED:
        ratio = sizes["hd"][selector] / sizes["small"][selector]
        assert ratio == pytest.approx(1080 / 720, rel=0.03), (selector, sizes)
    assert sizes["hd"]["#questions .q-text"] >= 0.024 * 1080, sizes


@pytest.mark.parametrize("size", [SMALL, HD], ids=["1280x720", "1920x1080"])
def test_the_display_fits_without_page_scroll(server, staged, new_page, size):
    screen = new_page(**size)
    screen.goto(f"{server.url}/display/{staged.room}")
    live(screen)
    heights = screen.evaluate("() => [document.documentElement.scrollHeight, innerHeight,"
                              " document.documentElement.scrollWidth, innerWidth]")
    assert heights[0] <= heights[1] and heights[2] <= heights[3], heights
    top = screen.locator("#questions .question").first.bounding_box()
    assert top["y"] + top["height"] <= size["viewport"]["height"]  # the top ones are in view


def test_focus_mode_shows_one_question_large_on_every_screen(server, staged, new_page):
    presenter = new_page(**HD)
    presenter.goto(staged.presenter_url(server.url))
    live(presenter)
    display = new_page(**HD)
    display.goto(f"{server.url}/display/{staged.room}")
    live(display)
    question = presenter.locator("#questions .question", has_text="Wie skaliert das?")
    question.locator(".q-focus").click()
    for screen in (presenter, display):
        view = screen.locator("#focus-view")
        expect(view).to_be_visible()
        expect(view.locator(".focus-text")).to_have_text("Wie skaliert das?")
        expect(screen.locator("#qa")).to_be_hidden()
        expect(screen.locator("#poll")).to_be_hidden()
        assert screen.evaluate(FONT, "#focus-view .focus-text") >= 0.06 * 1080
    shots = ROOT / "docs" / "screenshots"
    display.screenshot(path=str(shots / "focus-question.png"))
    display.reload()  # the server keeps the focus
    live(display)
    expect(display.locator("#focus-view .focus-text")).to_have_text("Wie skaliert das?")

    presenter.keyboard.press("Escape")
    for screen in (presenter, display):
        expect(screen.locator("#focus-view")).to_be_hidden()
        expect(screen.locator("#qa")).to_be_visible()

    presenter.locator("#poll-focus").click()
    for screen in (presenter, display):
        expect(screen.locator("#poll-question")).to_be_visible()
        expect(screen.locator("#qa")).to_be_hidden()
        assert screen.evaluate(FONT, "#poll-question") >= 0.06 * 1080
    presenter.locator("#focus-exit").click()
    for screen in (presenter, display):
        expect(screen.locator("#qa")).to_be_visible()
