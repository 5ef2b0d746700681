"""A quiz in real browsers: a presenter imports a deck and runs it with the keyboard (as a
presentation clicker would), three phones play, one answers after the timer and is refused,
the leaderboard orders them by points, and a phone that reloads keeps its score."""

from __future__ import annotations

import json
import uuid

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.test_accessibility import AXE, serious_violations
from tests.browser.test_audience import PHONE, SHOTS, create_room, open_audience

pytestmark = pytest.mark.browser

SCREEN = {"viewport": {"width": 1920, "height": 1080}}
DECK = {"version": 1, "title": "Quiz night", "items": [
    {"kind": "quiz", "question": "Which worker serves websockets?",
     "options": ["sync", "GeventWebSocketWorker", "eventlet"], "correct": 1, "seconds": 6},
    {"kind": "quiz", "question": "How many processes does one Redis need?",
     "options": ["one", "two"], "correct": 0, "seconds": 30},
    {"kind": "ranking", "question": "Order the stores by speed",
     "options": ["memory", "Redis", "SQLite"]},
]}


def leaderboard(page) -> list[tuple[str, int]]:
    rows = page.locator("#leaderboard .leader")
    return [(row.locator(".leader-name").inner_text(), int(row.get_attribute("data-points")))
            for row in rows.all()]


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: `make install` runs npm ci (axe-core in package.json)")
    return AXE.read_text()


def test_a_deck_run_by_keyboard_with_a_timed_quiz_and_three_phones(server, new_page, tmp_path,
                                                                   axe_source):
    room = "quiz-" + uuid.uuid4().hex[:6]
    screen = new_page(**SCREEN)
    token = create_room(screen, server.url, room)
    deck_file = tmp_path / "deck.json"
    deck_file.write_text(json.dumps(DECK))
    screen.locator("#deck-edit summary").click()
    screen.locator("#deck-file").set_input_files(str(deck_file))
    expect(screen.locator("#deck-note")).to_have_text("Deck saved: 3 questions.")
    expect(screen.locator("#deck-items .deck-item")).to_have_count(3)
    # typing in a field is typing, not the clicker
    screen.locator("#deck-question").press("n")
    screen.locator("#deck-question").press("PageDown")
    expect(screen.locator("#deck-question")).to_have_value("n")
    expect(screen.locator("#deck-status")).to_have_text(
        f"0 of 3 launched. Next: {DECK['items'][0]['question']}")
    screen.locator("#deck-question").fill("")
    exported = requests.get(f"{server.url}/api/rooms/{room}/deck", timeout=10,
                            headers={"Authorization": f"Bearer {token}"})
    assert exported.json() == DECK

    phones = {}
    for name in ("Ada", "<b>Bob</b>", "Cy"):
        page = new_page(**PHONE)
        open_audience(page, server.url, room)
        phones[name] = page
    ada, bob, cy = phones.values()
    for page in phones.values():
        expect(page.locator("#player")).to_be_hidden()  # no quiz yet
    # The nickname card shows once a quiz runs: start it with the clicker's PageDown.
    screen.locator("body").click(position={"x": 5, "y": 5})
    screen.keyboard.press("PageDown")
    expect(screen.locator("#poll-question")).to_have_text(DECK["items"][0]["question"])
    expect(screen.locator("#countdown")).to_contain_text("s left")
    for name, page in phones.items():
        expect(page.locator("#player")).to_be_visible()
        page.locator("#nickname").fill(name)
        page.locator("#nickname-save").tap()
        expect(page.locator("#nickname-note")).to_have_text(f"Saved: you play as {name}.")
    cy.locator("#nickname").fill("ada")
    cy.locator("#nickname-save").tap()
    expect(cy.locator("#nickname-note")).to_have_text("That nickname is taken: choose another.")

    for page in phones.values():
        expect(page.locator("#countdown")).to_contain_text("s left")
    assert serious_violations(ada, axe_source) == []  # the quiz card, the countdown, options
    ada.locator('#poll-answer .option[data-answer="1"]').tap()
    bob.locator('#poll-answer .option[data-answer="0"]').tap()
    for page in (ada, bob):
        expect(page.locator("#poll-note")).to_contain_text("Your answer is in")
        expect(page.locator('#poll-answer .option[data-answer="2"]')).to_be_disabled()
    # Cy waits out the timer: the phone says so and the server refuses the late answer.
    expect(cy.locator("#countdown")).to_have_text("Time is up", timeout=15000)
    expect(cy.locator('#poll-answer .option[data-answer="1"]')).to_be_disabled()
    expect(cy.locator("#poll-state")).to_have_text("Closed")
    expect(cy.locator("#poll-note")).to_have_text("Time is up.")
    expect(screen.locator("#poll-state")).to_have_text("Closed")
    # the projector knows the right answer but does not show it before the reveal
    expect(screen.locator("#poll-results .bar")).to_have_count(3)
    expect(screen.locator("#poll-results .bar.correct")).to_have_count(0)
    # a second screen (the display) shows no results and no answer before the reveal either
    display = new_page(**SCREEN)
    display.goto(f"{server.url}/display/{room}")
    display.wait_for_function("() => window.chorusScreen?.poll?.joined")
    expect(display.locator("#poll-question")).to_have_text(DECK["items"][0]["question"])
    expect(display.locator("#poll-results")).to_be_hidden()
    poll_id = cy.evaluate("() => document.getElementById('poll-answer').dataset.poll")
    late = cy.evaluate("(id) => window.chorusAudience.poll.send('answer', "
                       "{poll: Number(id), answer: 1})", poll_id)
    assert late["ok"] is False and late["closed"] is True, late

    screen.keyboard.press("PageUp")  # reveal
    expect(screen.locator("#poll-results .bar.correct")).to_have_attribute("data-option", "1")
    expect(ada.locator("#quiz-outcome")).to_contain_text("Right! +")
    expect(ada.locator('#poll-answer .option[data-answer="1"]')).to_have_class("option correct")
    expect(bob.locator("#quiz-outcome")).to_have_text(
        "Not this time: the answer was GeventWebSocketWorker")
    expect(bob.locator('#poll-answer .option[data-answer="0"]')).to_have_class("option wrong")
    expect(cy.locator("#quiz-outcome")).to_have_text("The answer was: GeventWebSocketWorker")
    expect(screen.locator("#leaderboard .leader")).to_have_count(3)
    expect(display.locator("#poll-results .bar.correct")).to_have_attribute("data-option", "1")
    expect(display.locator("#leaderboard .leader")).to_have_count(3)
    board = leaderboard(screen)
    assert leaderboard(display) == board
    assert board[0][0] == "Ada" and 500 < board[0][1] <= 1000
    assert sorted(board[1:]) == [("<b>Bob</b>", 0), ("Cy", 0)]
    expect(screen.locator("#leaderboard .leader-name b")).to_have_count(0)  # markup is text
    ada_points = board[0][1]
    assert serious_violations(screen, axe_source) == []  # leaderboard, deck card
    # legible from the back of the hall: at least 4% of the 1080 px screen
    for selector in ("#leaderboard .leader-name", "#leaderboard .leader-points"):
        size = screen.locator(selector).first.evaluate(
            "(node) => parseFloat(getComputedStyle(node).fontSize)")
        assert size >= 0.04 * 1080, (selector, size)
    assert serious_violations(ada, axe_source) == []  # right/wrong marks, leaderboard
    expect(ada.locator("#my-score")).to_have_text(f"Your score: {ada_points} points, place 1")
    SHOTS.mkdir(parents=True, exist_ok=True)
    ada.evaluate("window.scrollTo(0, 0)")
    ada.screenshot(path=str(SHOTS / "quiz-phone.png"))

    # Ada reloads mid-quiz: the device cookie brings her score and nickname back.
    ada.reload()
    open_audience(ada, server.url, room)
    expect(ada.locator("#my-score")).to_have_text(f"Your score: {ada_points} points, place 1")
    expect(ada.locator("#nickname")).to_have_value("Ada")

    screen.keyboard.press("ArrowRight")  # next: the second quiz question
    expect(screen.locator("#poll-question")).to_have_text(DECK["items"][1]["question"])
    for page in (bob, cy):
        expect(page.locator("#countdown")).to_contain_text("s left")
        page.locator('#poll-answer .option[data-answer="0"]').tap()
        expect(page.locator("#poll-note")).to_contain_text("Your answer is in")
    screen.keyboard.press("ArrowUp")  # reveal
    expect(cy.locator("#quiz-outcome")).to_contain_text("Right! +")
    expect(screen.locator("#leaderboard .leader")).to_have_count(3)
    board = leaderboard(screen)
    points = [p for _, p in board]
    assert points == sorted(points, reverse=True) and all(p > 500 for p in points), board
    assert {name for name, _ in board} == {"Ada", "<b>Bob</b>", "Cy"}
    scores = {name: int(page.evaluate(
        "() => window.chorusAudience.poll.send('me').then((me) => me.points)"))
        for name, page in phones.items()}
    assert dict(board) == scores

    screen.keyboard.press("PageDown")  # the ranking
    expect(screen.locator("#poll-question")).to_have_text(DECK["items"][2]["question"])
    expect(ada.locator("#poll-answer .rank-item")).to_have_count(3)
    # by keyboard: focus SQLite's "move up" twice, pressing Enter
    up = ada.locator('#poll-answer .rank-item[data-option="2"] .rank-up')
    up.focus()
    ada.keyboard.press("Enter")
    ada.keyboard.press("Enter")
    expect(ada.locator("#poll-answer .rank-item").first).to_have_attribute("data-option", "2")
    ada.locator(".rank-send").tap()
    expect(ada.locator("#poll-answer .mine-word")).to_have_text("Your order is in.")
    # by drag: Bob pulls Redis (second) above memory (first)
    handle = bob.locator('#poll-answer .rank-item[data-option="1"] .rank-handle')
    handle.hover()  # may scroll the page: the target's box is read after it
    target = bob.locator('#poll-answer .rank-item[data-option="0"]').bounding_box()
    bob.mouse.down()
    # released a little above memory's box: overshooting the top still lands Redis first
    bob.mouse.move(target["x"] + 20, max(target["y"] - 6, 1), steps=2)
    bob.mouse.up()
    expect(bob.locator("#poll-answer .rank-item").first).to_have_attribute("data-option", "1")
    bob.locator(".rank-send").tap()
    expect(bob.locator("#poll-answer .mine-word")).to_have_text("Your order is in.")
    # ada: SQLite, memory, Redis; bob: Redis, memory, SQLite
    expect(screen.locator("#poll-results .ranks .bar").first).to_have_attribute(
        "data-option", "0")
    screen.keyboard.press("b")  # close
    expect(ada.locator("#poll-note")).to_have_text("This poll is closed.")

    screen.keyboard.press("PageDown")  # past the last: the final leaderboard
    expect(screen.locator("#leaderboard-title")).to_have_text("Final leaderboard")
    expect(bob.locator("#leaderboard-title")).to_have_text("Final leaderboard")
    assert leaderboard(bob) == board

    export = requests.get(f"{server.url}/api/rooms/{room}/quiz.json", timeout=10,
                          headers={"Authorization": f"Bearer {token}"}).json()
    assert [(row["nickname"], row["points"]) for row in export["standings"]] == board
    # the presenter screen's own download links work (with its cookie), any time
    fetched = screen.evaluate("""async () => Object.fromEntries(await Promise.all(
        ['deck-export', 'qa-csv', 'qa-json', 'quiz-csv', 'quiz-json'].map(async (id) => {
          const reply = await fetch(document.getElementById(id).href);
          return [id, [reply.status, await reply.text()]];
        })))""")
    assert {key: status for key, (status, _) in fetched.items()} == dict.fromkeys(fetched, 200)
    assert json.loads(fetched["deck-export"][1]) == DECK
    assert fetched["quiz-csv"][1].splitlines()[-3:] == [
        f"{rank},{name},{points}" for rank, (name, points) in
        zip([row["rank"] for row in export["standings"]], board, strict=True)]


def test_open_answers_reach_the_screen_only_once_the_presenter_shows_them(server, new_page):
    room = "words-" + uuid.uuid4().hex[:6]
    screen = new_page(**SCREEN)
    create_room(screen, server.url, room)
    if screen.locator("#new-poll").is_hidden():
        screen.locator("#new-poll-toggle").click()
    screen.locator('#poll-form input[name="kind"][value="text"]').check()
    expect(screen.locator("#poll-options-field")).to_be_hidden()
    screen.locator("#poll-text").fill("One thing to improve?")
    screen.locator("#poll-open").click()
    phone = new_page(**PHONE)
    open_audience(phone, server.url, room)
    expect(phone.locator("#poll-question")).to_have_text("One thing to improve?")
    for text in ("<i>more demos</i>", "spam spam"):
        phone.locator("#text-answer").fill(text)
        phone.locator(".text-form button").tap()
        expect(phone.locator("#poll-answer .mine-word")).to_contain_text("Sent:")
    waiting = screen.locator("#waiting li")
    expect(waiting).to_have_count(2)
    expect(waiting.first.locator("span").first).to_have_text("<i>more demos</i>")
    waiting.nth(1).get_by_role("button", name="Reject: spam spam").click()
    expect(waiting).to_have_count(1)
    waiting.first.get_by_role("button", name="Show: <i>more demos</i>").click()
    expect(screen.locator("#moderation")).to_be_hidden()
    expect(screen.locator("#poll-results .text-answers li")).to_have_text(["<i>more demos</i>"])
    expect(phone.locator("#poll-results .text-answers li")).to_have_text(["<i>more demos</i>"])
    expect(phone.locator("#poll-results .text-answers i")).to_have_count(0)  # text, not markup

    # a quiz question opened from the form, without a deck
    screen.locator("#new-poll-toggle").click()
    screen.locator('#poll-form input[name="kind"][value="quiz"]').check()
    expect(screen.locator("#poll-quiz-fields")).to_be_visible()
    screen.locator("#poll-text").fill("Is this live?")
    screen.locator("#poll-options").fill("no\nyes")
    screen.locator("#poll-correct").fill("2")
    screen.locator("#poll-seconds").fill("30")
    screen.locator("#poll-open").click()
    expect(phone.locator("#countdown")).to_contain_text("s left")
    phone.locator('#poll-answer .option[data-answer="1"]').tap()
    expect(phone.locator("#poll-note")).to_contain_text("Your answer is in")
    screen.locator("#poll-reveal").click()
    expect(phone.locator("#quiz-outcome")).to_contain_text("Right! +")
