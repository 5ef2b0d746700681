"""A room-defined board in real browsers: the presenter defines it on the presenter screen,
phones draw what it defines, and each control's mode holds whoever writes.

One presenter screen (created through the landing page, as a person would), a display, and
three phones (each its own browser context, so its own device cookie). A raw python-socketio
client with no cookie and no token stands for a script aimed at /sync.
"""

from __future__ import annotations

import json
import uuid

import pytest
from playwright.sync_api import expect

from tests.audience_support import create_room as create_room_http
from tests.browser.test_accessibility import AXE, serious_violations
from tests.browser.test_audience import PHONE, SCREEN, SHOTS, create_room, open_screen
from tests.support import SyncClient

pytestmark = pytest.mark.browser

BOARD = {"controls": [
    {"key": "message", "kind": "text", "label": "Message", "start": "Welcome",
     "mode": "presenter"},
    {"key": "shout", "kind": "text", "label": "Shout-out", "start": "", "max_length": 80,
     "mode": "moderated"},
    {"key": "mood", "kind": "slider", "label": "Mood", "min": 0, "max": 10, "start": 5,
     "mode": "average"},
]}


def open_phone(page, base: str, room: str) -> None:
    page.goto(f"{base}/r/{room}")
    expect(page.locator("#badge")).to_have_attribute("data-status", "live")
    page.wait_for_function("() => window.chorusBoard?.joined")


def test_a_new_room_shows_no_made_up_controls(server, new_page):
    room = "bare-" + uuid.uuid4().hex[:6]
    create_room_http(server.url, room)
    phone = new_page(**PHONE)
    phone.goto(f"{server.url}/r/{room}")
    expect(phone.locator("#badge")).to_have_attribute("data-status", "live")
    expect(phone.locator("#board .control")).to_have_count(0)  # no volume, tempo, greeting
    assert phone.evaluate("() => window.chorusRoom.state.size") == 0
    expect(phone.locator("#board-empty")).to_be_visible()


def test_presenter_defines_a_board_whose_modes_hold(server, new_page):
    room = "modes-" + uuid.uuid4().hex[:6]
    screen = new_page(**SCREEN)
    create_room(screen, server.url, room)
    screen.wait_for_function("() => window.chorusScreen.board?.joined")
    expect(screen.locator("#board-none")).to_be_visible()
    screen.locator("#board-editor summary").click()
    screen.locator("#board-json").fill(json.dumps(BOARD))
    screen.locator("#board-save").click()
    expect(screen.locator("#board-note")).to_have_text("Board saved: 3 controls.")
    expect(screen.locator('#board-controls [data-key="message"] output')).to_have_text("Welcome")

    display = new_page(**SCREEN)
    open_screen(display, f"{server.url}/display/{room}")
    phones = [new_page(**PHONE), new_page(), new_page()]
    for phone in phones:
        open_phone(phone, server.url, room)
    phone = phones[0]
    expect(phone.locator("#board .control")).to_have_count(3)
    expect(phone.locator("#board-empty")).to_be_hidden()

    # Presenter-only: the phone's control is disabled, and a script is refused.
    expect(phone.locator("#c-message")).to_be_disabled()
    script = SyncClient(server.url).connect()
    try:
        assert script.join(room)["ok"]
        refused = script.call("set", {"room": room, "key": "message", "value": "pwned"})
        assert refused["ok"] is False and refused["error"]["code"] == "forbidden", refused
        gone = script.call("delete", {"room": room, "key": "message"})
        assert gone["error"]["code"] == "forbidden", gone
        wrong = script.call("join", {"room": room, "token": "not-the-token"})
        assert wrong["error"]["code"] == "forbidden", wrong
        assert script.join(room)["values"]["message"]["value"] == "Welcome"
    finally:
        script.disconnect()

    # Moderated: held until the presenter approves, then on every screen.
    phone.locator("#c-shout").fill("Hello from row 3")
    phone.locator("#c-shout").press("Enter")
    phone.locator("#c-shout").blur()
    expect(phone.locator("#notice")).to_contain_text("once the presenter approves")
    held = screen.locator("#board-pending li")
    expect(held).to_have_count(1)
    expect(held.locator("q")).to_have_text("Hello from row 3")
    for page in (screen, display):
        expect(page.locator('#board-controls [data-key="shout"] output')).to_have_text("")
    held.locator('[data-action="approve"]').click()
    expect(screen.locator("#board-pending-box")).to_be_hidden()
    for page in (screen, display):
        expect(page.locator('#board-controls [data-key="shout"] output')).to_have_text(
            "Hello from row 3")
    expect(phone.locator("#c-shout")).to_have_value("Hello from row 3")

    # Averaged: each phone counts once; everyone sees the mean and the count.
    for page, value in zip(phones, ("2", "4", "9"), strict=True):
        page.locator("#c-mood").fill(value)
    expect(screen.locator('#board-controls [data-key="mood"] output')).to_have_text(
        "average 5 from 3")
    for page in phones:
        expect(page.locator("#a-mood")).to_have_attribute("data-count", "3")
    expect(phone.locator("#a-mood")).to_have_text("Room average 5 from 3")

    for page in (phone, screen):  # disabled controls, hints, the mean: no axe violation
        assert serious_violations(page, AXE.read_text()) == []

    phone.screenshot(path=str(SHOTS / "board-phone.png"))
    screen.locator("#board-card").screenshot(path=str(SHOTS / "board-presenter.png"))

    # Locked from the presenter's editor: the phones' slider is disabled at once.
    locked = {"controls": [dict(c, locked=True) if c["key"] == "mood" else c
                           for c in BOARD["controls"]]}
    screen.locator("#board-json").fill(json.dumps(locked))
    screen.locator("#board-save").click()
    expect(screen.locator("#board-note")).to_have_text("Board saved: 3 controls.")
    expect(phone.locator("#c-mood")).to_be_disabled()

    # Reset: back to the start, the averaged inputs forgotten.
    screen.locator('#board-controls [data-key="mood"] button').click()
    expect(screen.locator('#board-controls [data-key="mood"] output')).to_have_text("5")
    expect(phone.locator("#a-mood")).to_have_text("No one has moved it yet")
