"""A new presenter's first talk, in real Chromium: phones 360 px wide, a 1920x1080 projector.

What used to go wrong without a word: a long question cut at 280 characters mid-word while the
phone thanked the asker, a question of spaces doing nothing, fast poll taps lost to the rate
limit, a missing poll's export answered 400, the keyboard focus dropped by the presenter's
buttons, and the loopback warning suggesting port 5000 on every screen, the audience's too.
"""

from __future__ import annotations

import time
import uuid

import pytest
import requests
from playwright.sync_api import expect

from tests.audience_support import AudienceClient, device_session
from tests.audience_support import create_room as create_room_by_form
from tests.browser.test_audience import create_room, open_audience

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}
PROJECTOR = {"viewport": {"width": 1920, "height": 1080}}
LIMIT = 280


def name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


# Wraps the page's /poll socket's emit: window.answersAnswered() waits for every answer's ack.
COUNT_ANSWERS = """() => {
  const socket = window.chorusAudience.poll.socket;
  const emit = socket.emit.bind(socket);
  let onTheWire = 0;
  let idle = [];
  // Resolves once no answer is waiting for its ack (at once when none is).
  window.answersAnswered = () => new Promise((resolve) => {
    if (onTheWire === 0) resolve();
    else idle.push(resolve);
  });
  socket.emit = (event, ...args) => {
    if (event === "answer" && typeof args.at(-1) === "function") {
      const ack = args.pop();
      onTheWire += 1;
      args.push((...reply) => {
        onTheWire -= 1;
        ack(...reply);
        if (onTheWire === 0) for (const resolve of idle.splice(0)) resolve();
      });
    }
    return emit(event, ...args);
  };
}"""


def test_question_length_is_shown_and_an_over_long_one_refused_with_its_reason(server, new_page):
    room = name("long")
    create_room_by_form(server.url, room)
    phone = new_page(**PHONE)
    open_audience(phone, server.url, room)
    box = phone.locator("#ask-text")
    # The limit is said before sending, and counted while typing, politely announced.
    expect(phone.locator('label[for="ask-text"]')).to_contain_text(f"up to {LIMIT} characters")
    expect(box).to_have_attribute("aria-describedby", "ask-count")
    expect(phone.locator("#ask-count-live")).to_have_attribute("aria-live", "polite")
    box.fill("x" * 120)
    expect(phone.locator("#ask-count")).to_have_text(f"120 / {LIMIT}")
    expect(phone.locator("#ask-count-live")).to_have_text(f"120 of {LIMIT} characters")

    long = ("question " * 223)[:1999] + "?"  # 2,000 characters, as pasted from a chat
    box.fill(long)
    expect(phone.locator("#ask-count")).to_have_text(f"2000 / {LIMIT}")
    expect(box).to_have_attribute("aria-invalid", "true")
    phone.locator("#ask-send").tap()
    note = phone.locator("#ask-note")
    expect(note).to_contain_text(f"at most {LIMIT} characters; yours has 2000")
    expect(box).to_have_value(long)  # kept, to be shortened

    # The server refuses it whole too, with the limit in the message, and keeps nothing.
    qa = AudienceClient(server.url, "/qa")
    try:
        assert qa.call("join", {"room": room})["ok"]
        refused = qa.call("ask", {"room": room, "text": long})
        assert refused["ok"] is False and refused["error"]["code"] == "bad_request", refused
        assert str(LIMIT) in refused["error"]["message"], refused
        spaces = qa.call("ask", {"room": room, "text": "   \n  "})
        assert spaces["ok"] is False and spaces["error"]["code"] == "bad_request", spaces
        assert "spaces" in spaces["error"]["message"], spaces
        assert qa.call("join", {"room": room})["questions"] == []
    finally:
        qa.close()

    # Only spaces: the phone says why nothing went.
    box.fill("     ")
    phone.locator("#ask-send").tap()
    expect(note).to_contain_text("Type a question first")

    # Shortened to the limit, it goes.
    box.fill(long[:LIMIT])
    expect(phone.locator("#ask-count")).to_have_text(f"{LIMIT} / {LIMIT}")
    phone.locator("#ask-send").tap()
    expect(note).to_have_text("Thanks, your question is in.")
    expect(phone.locator("#questions .q-text")).to_have_text([long[:LIMIT].strip()])


def test_fifteen_fast_taps_end_on_the_last_choice_on_phone_and_server(server, new_page):
    room = name("taps")
    token = create_room_by_form(server.url, room)
    host = AudienceClient(server.url, "/poll")
    try:
        assert host.call("join", {"room": room, "token": token})["ok"]
        opened = host.call("open", {"room": room, "kind": "choice", "question": "Which?",
                                    "options": ["A", "B", "C", "D"]})
        assert opened["ok"], opened
        phone = new_page(**PHONE)
        open_audience(phone, server.url, room)
        options = phone.locator("#poll-answer button.option")
        expect(options).to_have_count(4)
        # The same phone answered from another tab a moment ago (its device cookie): most of
        # the limit's burst of 10 is spent, so the taps below run into the limit however
        # slowly this machine taps.
        tab = requests.Session()
        for cookie in phone.context.cookies():
            tab.cookies.set(cookie["name"], cookie["value"])
        other = AudienceClient(server.url, "/poll", tab)
        try:
            assert other.call("join", {"room": room})["ok"]
            for _ in range(8):
                done = other.call("answer", {"room": room, "poll": opened["poll"]["id"],
                                                "answer": 0})
                assert done["ok"], done
        finally:
            other.close()
        # Count the answers on the wire (sent, not yet acknowledged), so that each tap waits
        # for the one before it to be answered: one send per tap, not a few coalesced ones.
        phone.evaluate(COUNT_ANSWERS)
        centres = []
        for i in range(4):
            box = options.nth(i).bounding_box()
            centres.append((box["x"] + box["width"] / 2, box["y"] + box["height"] / 2))
        taps = [i % 3 for i in range(14)] + [3]  # the last choice is tapped only at the end
        started = time.monotonic()
        for choice in taps:
            phone.touchscreen.tap(*centres[choice])
            phone.evaluate("() => window.answersAnswered()")
        assert time.monotonic() - started < 4, "15 taps took over 4 s"
        last = options.nth(taps[-1])
        # The phone ends on the last choice shown, as counted by the server...
        expect(last).to_have_attribute("aria-pressed", "true", timeout=15000)
        expect(phone.locator("#poll-answer button.sending")).to_have_count(0)
        # ...and the presenter's results say the same.
        results = host.call("join", {"room": room, "token": token})["results"]
        assert results["counts"] == [0, 0, 0, 1], results
    finally:
        host.close()


def test_exports_of_a_missing_poll_or_room_answer_404_with_json(server, new_page):
    room = name("export")
    screen = new_page(**PROJECTOR)
    token = create_room(screen, server.url, room)
    bearer = {"Authorization": f"Bearer {token}"}
    for url, headers in ((f"{server.url}/present/{room}/polls/99/results.json", {}),
                         (f"{server.url}/present/{room}/polls/99/results.csv", {}),
                         (f"{server.url}/api/rooms/{room}/polls/99/results.csv", bearer)):
        reply = screen.request.get(url, headers=headers)  # the presenter cookie goes along
        assert reply.status == 404, (url, reply.status, reply.text())
        assert reply.json()["error"]["code"] == "not_found", reply.text()
        assert "no poll 99" in reply.json()["error"]["message"]
    missing = name("nosuch")
    for path in ("polls/1/results.json", "questions.json", "questions.csv", "quiz.json",
                 "quiz.csv"):
        for url in (f"{server.url}/api/rooms/{missing}/{path}",
                    f"{server.url}/present/{missing}/{path}"):
            reply = screen.request.get(url, headers=bearer)
            assert reply.status == 404, (url, reply.status, reply.text())
            assert reply.json()["error"]["code"] == "not_found", reply.text()
    # The room's own exports are there, even empty; malformed input stays a 400.
    for path in ("questions.json", "quiz.csv"):
        assert screen.request.get(f"{server.url}/present/{room}/{path}").status == 200
    bad = requests.put(f"{server.url}/api/rooms/{room}/deck", data="{not json", timeout=10,
                       headers={**bearer, "Content-Type": "application/json"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_request"


def test_presenter_keyboard_focus_stays_on_or_moves_to_the_next_control(server, new_page):
    room = name("keys")
    screen = new_page(**PROJECTOR)
    token = create_room(screen, server.url, room)
    screen.locator("#created-close").click()
    if screen.locator("#new-poll").is_hidden():
        screen.locator("#new-poll-toggle").click()
    screen.locator("#poll-text").fill("Tea or coffee?")
    screen.locator("#poll-options").fill("Tea\nCoffee")
    screen.locator("#poll-open").focus()
    screen.keyboard.press("Enter")
    expect(screen.locator("#poll-state")).to_have_text("Open")
    expect(screen.locator("#poll-close")).to_be_focused()  # the new poll's own control

    expect(screen.locator("#poll-reveal")).to_have_text("Hide results")  # shown at once
    screen.locator("#poll-reveal").focus()
    screen.keyboard.press("Enter")
    expect(screen.locator("#poll-reveal")).to_have_text("Reveal results")
    expect(screen.locator("#poll-reveal")).to_be_focused()

    screen.locator("#poll-close").focus()
    screen.keyboard.press("Enter")
    expect(screen.locator("#poll-state")).to_have_text("Closed")
    expect(screen.locator("#new-poll-toggle")).to_be_focused()

    deck = {"version": 1, "title": "Talk", "items": [
        {"kind": "choice", "question": "First?", "options": ["Yes", "No"]},
        {"kind": "scale", "question": "Second?"}]}
    saved = requests.put(f"{server.url}/api/rooms/{room}/deck", json=deck, timeout=10,
                         headers={"Authorization": f"Bearer {token}"})
    assert saved.status_code == 200, saved.text
    expect(screen.locator("#deck-next")).to_be_enabled()
    screen.locator("#deck-next").focus()
    screen.keyboard.press("Enter")
    expect(screen.locator("#poll-question")).to_have_text("First?")
    expect(screen.locator("#deck-next")).to_be_focused()

    qa = AudienceClient(server.url, "/qa")
    try:
        assert qa.call("join", {"room": room})["ok"]
        for text in ("One?", "Two?", "Three?"):
            assert qa.call("ask", {"room": room, "text": text})["ok"]
    finally:
        qa.close()
    items = screen.locator("#questions .question")
    expect(items).to_have_count(3)
    first = items.nth(0)
    first.locator(".q-answer").focus()
    screen.keyboard.press("Enter")
    expect(screen.locator("#questions .question.answered")).to_have_count(1)
    answered = screen.locator("#questions .question.answered .q-answer")
    expect(answered).to_have_attribute("aria-pressed", "true")
    expect(answered).to_be_focused()

    # Hiding takes the question off the list: the focus goes to the one in its place.
    items.nth(0).locator(".q-hide").focus()
    screen.keyboard.press("Enter")
    expect(items).to_have_count(2)
    expect(items.nth(0).locator(".q-hide")).to_be_focused()
    screen.keyboard.press("Enter")
    expect(items).to_have_count(1)
    expect(items.nth(0).locator(".q-hide")).to_be_focused()
    screen.keyboard.press("Enter")
    expect(items).to_have_count(0)
    summary = screen.locator("#hidden-here summary")
    expect(summary).to_be_focused()
    screen.keyboard.press("Enter")  # unfolds the hidden questions
    again = screen.locator("#hidden-list button")
    expect(again).to_have_count(3)
    again.nth(0).focus()
    screen.keyboard.press("Enter")
    expect(items).to_have_count(1)
    expect(again).to_have_count(2)
    expect(again.nth(0)).to_be_focused()

    # Open answers waiting for approval: the list is redrawn with every answer that comes in.
    host = AudienceClient(server.url, "/poll")
    voters = [AudienceClient(server.url, "/poll", device_session(server.url, room))
              for _ in range(3)]
    try:
        assert host.call("join", {"room": room, "token": token})["ok"]
        opened = host.call("open", {"room": room, "kind": "text", "question": "Why?"})
        assert opened["ok"], opened
        for voter, text in zip(voters[:2], ("Because.", "Why not?"), strict=True):
            assert voter.call("join", {"room": room})["ok"]
            assert voter.call("answer", {"room": room, "poll": opened["poll"]["id"],
                                         "answer": text})["ok"]
        waiting = screen.locator("#waiting li")
        expect(waiting).to_have_count(2)
        waiting.nth(0).get_by_role("button", name="Show: Because.").focus()
        assert voters[2].call("join", {"room": room})["ok"]  # a third answer redraws the list
        assert voters[2].call("answer", {"room": room, "poll": opened["poll"]["id"],
                                         "answer": "So."})["ok"]
        expect(waiting).to_have_count(3)
        expect(waiting.nth(0).get_by_role("button", name="Show: Because.")).to_be_focused()
        screen.keyboard.press("Enter")  # shown: off the waiting list, the next one in its place
        expect(waiting).to_have_count(2)
        expect(waiting.nth(0).get_by_role("button", name="Show: Why not?")).to_be_focused()
    finally:
        for client in (host, *voters):
            client.close()


def test_loopback_warning_names_the_port_in_use_on_the_presenter_screen_only(server,
                                                                                new_page):
    room = name("port")
    screen = new_page(**PROJECTOR)
    create_room(screen, server.url, room)
    warning = screen.locator("#loopback-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text(f"CHORUS_BIND=0.0.0.0:{server.port}")
    expect(warning).to_contain_text(f":{server.port}", use_inner_text=True)
    if server.port != 5000:
        expect(warning).not_to_contain_text(":5000")
    display = new_page(**PROJECTOR)
    display.goto(f"{server.url}/display/{room}")
    expect(display.locator("#badge")).to_have_attribute("data-status", "live")
    expect(display.locator("#join-url")).to_be_visible()
    expect(display.locator("#loopback-warning")).to_have_count(0)
