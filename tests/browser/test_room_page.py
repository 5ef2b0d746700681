"""Two real browsers in one room: sliders, counter and presence agree, live."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.audience_support import define_board
from tests.support import ROOT, SyncClient

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}


DEFINED: set[str] = set()


def open_room(page, server, room):
    """Open the room page; the first time, define the room's board (the six familiar
    controls), as its presenter would."""
    if room not in DEFINED:
        DEFINED.add(room)
        define_board(server.url, room)
    page.goto(f"{server.url}/r/{room}")
    expect(page.locator("#badge")).to_have_attribute("data-status", "live")


def test_two_pages_share_slider_counter_and_presence(server, new_page):
    room = "browser-" + uuid.uuid4().hex[:6]
    a, b = new_page(), new_page(**PHONE)
    open_room(a, server, room)
    open_room(b, server, room)

    expect(a.locator("#presence")).to_have_text("2 here")
    expect(b.locator("#presence")).to_have_text("2 here")

    a.locator("#c-volume").fill("73")
    expect(b.locator("#c-volume")).to_have_value("73")
    expect(b.locator("#o-volume")).to_have_text("73")

    for _ in range(3):
        a.get_by_role("button", name="+1", exact=True).click()
    b.get_by_role("button", name="−1", exact=True).click()
    expect(a.locator("#c-count")).to_have_text("2")
    expect(b.locator("#c-count")).to_have_text("2")

    b.locator("#c-lights").check()
    expect(a.locator("#c-lights")).to_be_checked()
    b.locator("#c-message").fill("hello from the phone")
    b.locator("#c-message").press("Enter")
    b.locator("#c-volume").focus()  # leaving the field sends it for sure
    expect(a.locator("#c-message")).to_have_value("hello from the phone")

    # the server agrees with what both pages show
    snapshot = a.request.get(f"{server.url}/api/rooms/{room}").json()
    assert snapshot["values"]["volume"]["value"] == 73
    assert snapshot["values"]["count"]["value"] == 2
    assert snapshot["values"]["lights"]["value"] is True

    badge = a.locator("#badge")
    expect(badge).to_have_attribute("data-transport", "websocket")
    expect(badge).to_contain_text("ms")

    b.wait_for_function("() => document.querySelector('#badge').dataset.transport === 'websocket'")
    b.screenshot(path=str(ROOT / "docs" / "screenshots" / "room-phone.png"), full_page=True)


def test_page_leaving_updates_presence(server, new_page):
    room = "leave-" + uuid.uuid4().hex[:6]
    a, b = new_page(), new_page()
    open_room(a, server, room)
    open_room(b, server, room)
    expect(a.locator("#presence")).to_have_text("2 here")
    b.close()
    expect(a.locator("#presence")).to_have_text("1 here")


def test_drag_burst_settles_on_last_value(server, new_page):
    """Many quick moves of one slider: every page ends on the final value."""
    room = "drag-" + uuid.uuid4().hex[:6]
    a, b = new_page(), new_page()
    open_room(a, server, room)
    open_room(b, server, room)
    a.evaluate("""() => {
        const input = document.querySelector('#c-tempo');
        input.dispatchEvent(new PointerEvent('pointerdown', {bubbles: true}));
        for (let v = 40; v <= 190; v += 1) {
            input.value = String(v);
            input.dispatchEvent(new Event('input', {bubbles: true}));
        }
        input.value = '187';
        input.dispatchEvent(new Event('input', {bubbles: true}));
        input.dispatchEvent(new Event('change', {bubbles: true}));
        input.dispatchEvent(new PointerEvent('pointerup', {bubbles: true}));
    }""")
    expect(b.locator("#c-tempo")).to_have_value("187")
    expect(a.locator("#c-tempo")).to_have_value("187")
    a.wait_for_function("() => window.chorusRoom.pending().length === 0")
    assert a.request.get(f"{server.url}/api/rooms/{room}").json()["values"]["tempo"]["value"] \
        == 187


def test_landing_page_opens_a_room(server, new_page):
    page = new_page(**PHONE)
    page.goto(server.url + "/")
    page.locator("#open-room").fill("from-landing")
    page.get_by_role("button", name="Open").click()
    expect(page).to_have_url(f"{server.url}/r/from-landing")
    expect(page.locator("#badge")).to_have_attribute("data-status", "live")
    Path(ROOT / "docs" / "screenshots").mkdir(exist_ok=True)


def test_real_mouse_drags_always_end_on_the_released_value(server, new_page):
    """A real drag with the mouse (Chromium fires pointerup before change, or no change at all):
    wherever the slider is let go, every page settles there, and the dragger does not jump back."""
    room = "mouse-" + uuid.uuid4().hex[:6]
    a, b = new_page(), new_page()
    open_room(a, server, room)
    open_room(b, server, room)
    slider = a.locator("#c-volume")
    box = slider.bounding_box()
    y = box["y"] + box["height"] / 2
    for start, end in ((0.1, 0.9), (0.8, 0.2), (0.3, 0.55), (0.9, 0.05), (0.5, 0.93)):
        a.mouse.move(box["x"] + box["width"] * start, y)
        a.mouse.down()
        steps = 25
        for i in range(1, steps + 1):
            fraction = start + (end - start) * i / steps
            a.mouse.move(box["x"] + box["width"] * fraction, y)
        a.mouse.up()
        released = slider.input_value()
        expect(b.locator("#c-volume")).to_have_value(released)
        a.wait_for_function("() => window.chorusRoom.pending().length === 0")
        expect(slider).to_have_value(released)  # no jump back to an echo of an older value
        snapshot = a.request.get(f"{server.url}/api/rooms/{room}").json()
        assert str(snapshot["values"]["volume"]["value"]) == released


def test_release_before_change_keeps_the_final_value(server, new_page):
    """Chromium's order on release: pointerup, then change. The last moves may still wait in
    the send throttle at pointerup; the final value must still be the one that stays."""
    room = "order-" + uuid.uuid4().hex[:6]
    a, b = new_page(), new_page()
    open_room(a, server, room)
    open_room(b, server, room)
    a.evaluate("""() => {
        const input = document.querySelector('#c-volume');
        input.dispatchEvent(new PointerEvent('pointerdown', {bubbles: true}));
        for (const v of [20, 40, 60, 80, 93]) {
            input.value = String(v);
            input.dispatchEvent(new Event('input', {bubbles: true}));
        }
        input.dispatchEvent(new PointerEvent('pointerup', {bubbles: true}));
        input.dispatchEvent(new Event('change', {bubbles: true}));
    }""")
    expect(b.locator("#c-volume")).to_have_value("93")
    a.wait_for_function("() => window.chorusRoom.pending().length === 0")
    expect(a.locator("#c-volume")).to_have_value("93")


def test_a_result_written_by_code_shows_on_every_phone_as_text(server, new_page):
    room = "result-" + uuid.uuid4().hex[:6]
    phone = new_page(**PHONE)
    open_room(phone, server, room)
    expect(phone.locator("#result")).to_be_hidden()
    writer = SyncClient(server.url).connect()
    try:
        writer.join(room)
        assert writer.call("set", {"room": room, "key": "result",
                                   "value": "<b>1.50 Hz</b> at 80%"})["ok"]
        expect(phone.locator("#c-result")).to_have_text("<b>1.50 Hz</b> at 80%")  # as text
        expect(phone.locator("#result")).to_be_visible()
        assert writer.call("delete", {"room": room, "key": "result"})["ok"]
        expect(phone.locator("#result")).to_be_hidden()
    finally:
        writer.disconnect()
