"""The pages in German, in a real browser: a phone shows no English string, the switch and the
room's language set by the presenter work, and the page scripts translate too.

The walk: every text node of the page and every text a screen reader or a form shows
(aria-label, placeholder, alt, title, and data-you, which style.css shows after one's own
answer) is compared with the catalogue. Each must be a German
message of app/translations/de (its placeholders matching anything), text the room's people
wrote, or text that is the same in every language (numbers, emoji, names). Anything else, an
English message or a string that never went through the catalogue, fails the test by name.
"""

from __future__ import annotations

import re
import uuid

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import expect

from tests.browser.rooms import KINDS, stage_room
from tests.support import ROOT

pytestmark = pytest.mark.browser

CATALOGUE = ROOT / "app" / "translations" / "de" / "LC_MESSAGES" / "messages.po"
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}
SCREEN = {"viewport": {"width": 1280, "height": 800}}
# The same in every language: the product's name, the languages' own names, file formats, a
# JSON value the room's code wrote (docs/live-coding.md), addresses, the transport badge.
NEUTRAL = {"Chorus", "English", "Deutsch", "CSV", "JSON", "null"}
LANGUAGE_FREE = re.compile(r"https?://\S+|(websocket|polling)( · \d+ ms)?|⬇ (CSV|JSON)")
# Digits, signs, emoji and punctuation only, like "12", "50%", "▲", "·", "−1", "⬇".
NO_WORDS = re.compile(r"[\W\d_]*", re.UNICODE)
PLACEHOLDER = re.compile(r"\{\w+\}|%\(\w+\)s")

WALK = """() => {
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (parent.closest("script, style, code, noscript")) continue;
    const text = node.textContent.replace(/\\s+/g, " ").trim();
    if (text) texts.push({ text, where: parent.id || parent.className || parent.tagName });
  }
  const named = "[aria-label], [placeholder], [alt], [title], [data-you]";
  for (const el of document.querySelectorAll(named)) {
    for (const name of ["aria-label", "placeholder", "alt", "title", "data-you"]) {
      const text = (el.getAttribute(name) || "").replace(/\\s+/g, " ").trim();
      if (text) texts.push({ text, where: `${el.id || el.tagName}[${name}]` });
    }
  }
  return texts;
}"""


def pattern(message: str) -> re.Pattern:
    """A catalogue message as a regular expression: each placeholder matches any text."""
    parts = PLACEHOLDER.split(" ".join(message.split()))
    return re.compile("(.+?)".join(re.escape(part) for part in parts), re.DOTALL)


@pytest.fixture(scope="module")
def german() -> list[re.Pattern]:
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    messages = [m.string.strip() for m in catalogue if m.id and m.string]
    assert len(messages) > 100, "the German catalogue is nearly empty"
    # Longest first: "Umfrage schließen" must not be taken for "Umfrage" plus something.
    return [pattern(text) for text in sorted(messages, key=len, reverse=True)]


def not_german(texts: list[dict], german: list[re.Pattern], own: set[str]) -> list[str]:
    """The texts that are neither German messages, nor the people's own, nor neutral."""
    bad = []
    for item in texts:
        text = item["text"]
        if text in NEUTRAL or text in own or NO_WORDS.fullmatch(text) \
                or LANGUAGE_FREE.fullmatch(text):
            continue
        if any(message.fullmatch(text) for message in german):
            continue
        if any(word in own for word in re.split(r"[\s:·,]+", text) if word):
            continue  # a sentence made around the room's name or someone's words
        if text.lower() in {w.lower() for o in own for w in o.split()}:
            continue  # one word of someone's words ("Remove a word" lists them)
        bad.append(f"{text!r} in {item['where']}")
    return bad


@pytest.fixture(scope="module")
def staged(server):
    return stage_room(server.url, "sprache-" + uuid.uuid4().hex[:6])


def live(page, handle: str) -> None:
    expect(page.locator("#badge")).to_have_attribute("data-status", "live")
    page.wait_for_function(
        f"() => ['poll', 'qa', 'pulse'].every((n) => window.{handle}?.[n]?.joined)")
    expect(page.locator("#questions .question")).to_have_count(2)


def test_phone_in_german_shows_no_english(server, staged, new_page, german):
    phone = new_page(**PHONE, locale="de-DE")
    phone.goto(f"{server.url}/r/{staged.room}")
    live(phone, "chorusAudience")
    expect(phone.locator("html")).to_have_attribute("lang", "de")
    expect(phone.locator("#poll-results .total")).to_have_text("2 Antworten")
    # Things only the scripts write: a pace vote's thanks, a note, the upvote's label.
    phone.locator('.pace button[data-pace="good"]').click()
    expect(phone.locator("#pulse-note")).to_have_text(
        "Danke! Ihre Stimme zählt eine Minute lang; tippen Sie jederzeit erneut.")
    bad = not_german(phone.evaluate(WALK), german, set(staged.user_texts))
    assert not bad, bad
    phone.evaluate("window.scrollTo(0, 0)")
    phone.screenshot(path=str(ROOT / "docs" / "screenshots" / "phone-german.png"))


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_of_poll_and_the_screens_in_german(server, new_page, german, kind):
    """Each kind on the phone, the presenter screen (its deck panel and editor open) and the
    display; a quiz with its leaderboard and the phone's nickname card."""
    staged = stage_room(server.url, f"art-{kind}-" + uuid.uuid4().hex[:6], kind)
    phone = new_page(**PHONE, locale="de-DE")
    phone.goto(f"{server.url}/r/{staged.room}")
    live(phone, "chorusAudience")
    expect(phone.locator("#poll-results")).to_have_attribute("data-total", "2")
    if kind == "quiz":
        expect(phone.locator("#leaderboard .leader")).to_have_count(2)
        expect(phone.locator("#player")).to_be_visible()
    bad = not_german(phone.evaluate(WALK), german, set(staged.user_texts))
    assert not bad, (kind, bad)
    for path in (staged.presenter_url("", created=True), f"/display/{staged.room}"):
        screen = new_page(**SCREEN, locale="de-DE")
        screen.goto(server.url + path)
        live(screen, "chorusScreen")
        expect(screen.locator("#poll-results")).to_have_attribute("data-total", "2")
        if "token=" in path:
            screen.locator("#deck-edit summary").click()
            screen.locator("#deck-kind").select_option("quiz")
        bad = not_german(screen.evaluate(WALK), german, set(staged.user_texts))
        assert not bad, (path, bad)


def test_static_pages_in_german(server, staged, new_page, german):
    for path in ("/", f"/?error=a%20b&taken={staged.room}", f"/present/{staged.room}#token=x",
                 "/r/no%20such%20room"):
        page = new_page(locale="de-DE")
        page.goto(server.url + path)
        bad = not_german(page.evaluate(WALK), german, set(staged.user_texts) | {"a b"})
        assert not bad, (path, bad)


def test_switch_changes_the_page_and_is_remembered(server, staged, new_page):
    phone = new_page(**PHONE, locale="de-DE")
    phone.goto(f"{server.url}/r/{staged.room}")
    expect(phone.locator("#qa-title")).to_have_text("Fragen")
    phone.get_by_role("link", name="English").click()
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    expect(phone.locator("#qa-title")).to_have_text("Questions")
    live(phone, "chorusAudience")
    expect(phone.locator("#poll-results .total")).to_have_text("2 answers")  # the scripts too
    phone.goto(f"{server.url}/r/{staged.room}")  # no ?lang=: the cookie remembers
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    phone.get_by_role("link", name="Deutsch").click()
    expect(phone.locator("#qa-title")).to_have_text("Fragen")


def test_presenter_sets_the_room_language_for_every_phone(server, new_page):
    staged = stage_room(server.url, "raum-" + uuid.uuid4().hex[:6])
    screen = new_page(**SCREEN, locale="en-GB")
    screen.goto(staged.presenter_url(server.url))
    live(screen, "chorusScreen")
    phones = [new_page(**PHONE, locale="en-US"), new_page(**PHONE, locale="fr-FR")]
    typing = new_page(**PHONE, locale="en-US")
    chose = new_page(**PHONE, locale="en-US")
    display = new_page(**SCREEN, locale="en-US")
    for page, path in ((phones[0], ""), (phones[1], ""), (typing, ""), (chose, "?lang=en")):
        page.goto(f"{server.url}/r/{staged.room}{path}")
        live(page, "chorusAudience")
        expect(page.locator("html")).to_have_attribute("lang", "en")
    display.goto(f"{server.url}/display/{staged.room}")
    live(display, "chorusScreen")
    typing.locator("#ask-text").fill("Halb getippt")

    screen.locator("#room-language").select_option("de")
    expect(screen.locator("#room-language-note")).to_have_text(
        "The room's pages now show Deutsch.")
    # The open pages follow at once, each reloading in German, without anyone touching them.
    for page in (*phones, display):
        expect(page.locator("html")).to_have_attribute("lang", "de")
        live(page, "chorusScreen" if page is display else "chorusAudience")
        expect(page.locator("#poll-results .total")).to_have_text("2 Antworten")
    # Someone typing keeps the text (and is told); a browser that chose English keeps it.
    expect(typing.locator("#pulse-note")).to_contain_text("changed the room's language")
    expect(typing.locator("#ask-text")).to_have_value("Halb getippt")
    expect(typing.locator("html")).to_have_attribute("lang", "en")
    expect(chose.locator("html")).to_have_attribute("lang", "en")
    typing.reload()
    expect(typing.locator("html")).to_have_attribute("lang", "de")  # the next load

    screen.reload()  # the room's screens speak its language too, for the hall to read
    expect(screen.locator("html")).to_have_attribute("lang", "de")
    expect(screen.locator("#room-language")).to_have_value("de")  # the setting is kept
    screen.locator("#room-language").select_option("")
    expect(screen.locator("#room-language-note")).to_have_text(
        "Jedes Handy zeigt jetzt wieder seine eigene Sprache.")
    expect(phones[0].locator("html")).to_have_attribute("lang", "en")  # its browser's, live
    expect(phones[1].locator("html")).to_have_attribute("lang", "en")  # no French: English


def test_refusals_from_the_server_in_german(server, staged, new_page):
    """The server writes refusals in English: its fixed messages are in the catalogue; one
    with values in it is not, and a German page shows a German sentence rather than it."""
    phone = new_page(**PHONE, locale="de-DE")
    phone.goto(f"{server.url}/r/{staged.room}")
    live(phone, "chorusAudience")
    explain = """async (message) => (await import("/static/audience.js"))
        .explain({ ok: false, error: { code: "bad_request", message } })"""
    assert phone.evaluate(explain, "this poll is closed") == "Diese Umfrage ist geschlossen"
    assert phone.evaluate(explain, "no poll 7 in this room") == "Der Server hat das abgelehnt."
    english = new_page(**PHONE, locale="en-GB")
    english.goto(f"{server.url}/r/{staged.room}")
    live(english, "chorusAudience")
    assert english.evaluate(explain, "no poll 7 in this room") == "no poll 7 in this room"
