"""Moderation in real Chromium, over two server processes sharing Redis: a word removed on the
presenter screen of one leaves the word cloud of a display on the other, live; a listed swear
word never reaches either; the presenter screen hands out a co-host link, and the screen it
opens in another browser has moderation controls only, and they work."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.audience_support import AudienceClient, create_room, device_session
from tests.support import ROOT, RedisServer, Server

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"

pytestmark = pytest.mark.browser

SCREEN = {"viewport": {"width": 1280, "height": 800}}


@pytest.fixture(scope="module")
def pair(workdir):
    redis = RedisServer(workdir).start()
    servers = [Server(workdir, {"CHORUS_STORE": redis.url}).start() for _ in range(2)]
    yield servers
    for server in servers:
        server.stop()
    redis.stop()


def wait_joined(page, names=("poll", "qa")) -> None:
    page.wait_for_function(
        f"() => {list(names)!r}.every((n) => window.chorusScreen?.[n]?.joined)")


def presenter_screen(page, base: str, room: str, token: str) -> None:
    page.goto(f"{base}/present/{room}#token={token}")
    expect(page.locator("#badge")).to_have_attribute("data-status", "live")
    wait_joined(page, ("poll", "qa", "pulse"))


def answered_cloud(base: str, room: str, token: str, words: list[str]) -> int:
    host = AudienceClient(base, "/poll")
    try:
        assert host.call("join", {"room": room, "token": token})["ok"]
        poll = host.call("open", {"room": room, "kind": "cloud", "question": "One word?"})
        for word in words:
            voter = AudienceClient(base, "/poll", device_session(base, room))
            try:
                assert voter.call("join", {"room": room})["ok"]
                assert voter.call("answer", {"room": room, "poll": poll["poll"]["id"],
                                             "answer": word})["ok"]
            finally:
                voter.close()
        return poll["poll"]["id"]
    finally:
        host.close()


def test_a_word_removed_on_one_process_leaves_the_display_on_the_other(pair, new_page):
    one, two = pair
    room = f"words-{uuid.uuid4().hex[:6]}"
    token = create_room(one.url, room)
    answered_cloud(one.url, room, token, ["beer", "beer", "lunch", "Scheiße"])
    screen = new_page(**SCREEN)
    presenter_screen(screen, one.url, room, token)
    display = new_page(**SCREEN)
    display.goto(f"{two.url}/display/{room}")
    cloud = display.locator("#poll-results .cloud li")
    expect(cloud).to_have_count(2)
    expect(display.locator('#poll-results [data-word="beer"]')).to_be_visible()
    for page in (screen, display):  # the listed word is held: on no screen at all
        expect(page.locator("#poll-results")).not_to_contain_text("Schei")

    screen.locator("#word-removal summary").click()
    screen.get_by_role("button", name="Remove the word: beer").click()
    expect(display.locator('#poll-results [data-word="beer"]')).to_have_count(0)
    expect(cloud).to_have_count(1)
    expect(screen.locator('#poll-results [data-word="beer"]')).to_have_count(0)
    expect(screen.get_by_role("button", name="Remove the word: beer")).to_have_count(0)


def test_the_cohost_link_opens_a_moderation_only_screen_that_hides_a_question(pair, new_page):
    one, two = pair
    room = f"cohost-{uuid.uuid4().hex[:6]}"
    token = create_room(one.url, room)
    asker = AudienceClient(one.url, "/qa", device_session(one.url, room))
    try:
        assert asker.call("join", {"room": room})["ok"]
        question = asker.call("ask", {"room": room, "text": "Off topic, sorry"})["question"]
    finally:
        asker.close()
    answered_cloud(one.url, room, token, ["tea"])
    screen = new_page(**SCREEN)
    presenter_screen(screen, one.url, room, token)
    screen.locator("#second-device summary").click()
    link = screen.get_by_label("Co-host link")
    url = link.input_value()
    assert url.startswith(f"{one.url}/moderate/{room}#token=") and token not in url
    screen.get_by_role("button", name="Copy co-host link").click()
    expect(screen.locator("#cohost-copy-note")).not_to_be_empty()

    helper = new_page(**SCREEN)
    helper.goto(url.replace(one.url, two.url))  # the helper may reach another process
    helper.wait_for_url(f"{two.url}/moderate/{room}")
    assert "token" not in helper.url
    wait_joined(helper)
    expect(helper.locator(".screen-kind")).to_have_text("Co-host: moderation")
    for presenter_only in ("#poll-actions", "#new-poll", "#new-poll-toggle", "#deck",
                           "#room-language", "#second-device", "#poll-reveal"):
        expect(helper.locator(presenter_only)).to_have_count(0)
    helper.locator("#word-removal summary").click()
    expect(helper.get_by_role("button", name="Remove the word: tea")).to_be_visible()
    item = helper.locator(f'#questions [data-id="{question["id"]}"]')
    item.get_by_role("button", name="Hide").click()
    expect(screen.locator(f'#questions [data-id="{question["id"]}"]')).to_have_count(0)
    expect(helper.locator("#hidden-list")).to_contain_text("Off topic, sorry")
    refused = helper.evaluate(
        "() => window.chorusScreen.poll.send('open', {kind: 'cloud', question: 'Mine?'})")
    assert refused["error"]["code"] == "forbidden", refused

    # The moderation screen, and the presenter screen's new controls, open, pass axe-core
    # with nothing moderate or worse.
    screen.locator("#word-removal summary").click()
    helper.locator("#hidden-here summary").click()
    for page, part in ((helper, "document"),
                       (screen, "{include: [['#word-removal'], ['#second-device']]}")):
        page.evaluate(f"() => {{ {AXE.read_text()}\n }}")
        found = page.evaluate(f"async () => (await axe.run({part})).violations.map((v) =>"
                              " `${v.id} (${v.impact}) at ${v.nodes[0].target}`)")
        assert not [v for v in found if "(minor)" not in v], found
