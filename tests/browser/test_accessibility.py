"""axe-core on every page (an error page too), at a 360 px phone and a 1920 x 1080 projector,
light and dark, in English and German: no moderate, serious or critical violation. Also the
projector theme, reduced motion, tap targets and keyboard operation.

axe-core comes from node_modules (package.json pins it; `make` installs it). It goes into the
page through Playwright's ``evaluate``, which runs over the DevTools protocol: the page's
Content-Security-Policy (script-src 'self', no inline script) governs the page's own scripts,
not the debugger's, so the pages are checked exactly as served, CSP included, and no
``bypass_csp`` context is needed.
"""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.rooms import KINDS, stage_room
from tests.support import ROOT

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}
PROJECTOR = {"viewport": {"width": 1920, "height": 1080}}
SIZES = {"360px": PHONE, "1920px": PROJECTOR}
SERIOUS = ("moderate", "serious", "critical")


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: `make install` runs npm ci (axe-core in package.json)")
    return AXE.read_text()


@pytest.fixture(scope="module")
def staged(server):
    return stage_room(server.url, "a11y-" + uuid.uuid4().hex[:6])


def serious_violations(page, axe_source: str) -> list[str]:
    """Run axe-core on the page as it is now; one line per moderate, serious or critical
    violation."""
    page.evaluate(f"() => {{ {axe_source}\n }}")
    # label-content-name-mismatch is experimental in axe-core, off unless asked for: a button
    # must be named by what it shows ("+1", not "plus one"), for voice control.
    found = page.evaluate("async () => (await axe.run(document, { rules: {"
                          " 'label-content-name-mismatch': { enabled: true } } }))"
                          ".violations.map((v) => ({"
                          " id: v.id, impact: v.impact, help: v.help,"
                          " nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }))")
    return [f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}"
            for v in found if v["impact"] in SERIOUS]


def settled(page, handle: str | None, questions: int = 2, answers: int = 2) -> None:
    """The page has connected and drawn what the room holds (``stage_room``'s two questions)."""
    if handle is None:
        return
    expect(page.locator("#badge")).to_have_attribute("data-status", "live")
    page.wait_for_function(
        f"() => ['poll', 'qa', 'pulse'].every((n) => window.{handle}?.[n]?.joined)")
    expect(page.locator("#questions .question")).to_have_count(questions)
    expect(page.locator("#poll-results")).to_have_attribute("data-total", str(answers))


def pages(staged) -> dict[str, tuple[str, str | None]]:
    """name -> (path, the page's test handle once it is live, or None for a static page)."""
    room = staged.room
    return {
        "landing": ("/", None),
        "landing-errors": (f"/?error=no%20spaces&taken={room}", None),
        "forbidden": (f"/present/{room}#token=wrong", None),
        "not-found": ("/r/no%20such%20room", None),
        "room": (f"/r/{room}", "chorusAudience"),
        "presenter": (staged.presenter_url("", created=True), "chorusScreen"),
        "display": (f"/display/{room}", "chorusScreen"),
    }


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_passes_axe(server, staged, new_page, axe_source, size, scheme):
    failures = {}
    for name, (path, handle) in pages(staged).items():
        page = new_page(**SIZES[size], color_scheme=scheme)
        page.goto(server.url + path)
        settled(page, handle)
        found = serious_violations(page, axe_source)
        if found:
            failures[name] = found
        page.context.close()
    assert not failures, failures


@pytest.mark.parametrize("kind", [kind for kind in KINDS if kind != "choice"])
def test_every_kind_of_poll_passes_axe(server, new_page, axe_source, kind):
    """The phone, the presenter screen (deck panel, moderation, leaderboard) and the display
    with each other kind of poll, at both sizes, light and dark."""
    staged = stage_room(server.url, f"a11y-{kind}-" + uuid.uuid4().hex[:6], kind)
    failures = {}
    for size, scheme in ((s, c) for s in SIZES for c in ("light", "dark")):
        for name in ("room", "presenter", "display"):
            path, handle = pages(staged)[name]
            page = new_page(**SIZES[size], color_scheme=scheme)
            page.goto(server.url + path)
            settled(page, handle)
            if kind == "quiz":
                expect(page.locator("#leaderboard .leader")).to_have_count(2)
            if name == "presenter":
                page.locator("#deck-edit summary").click()  # the deck editor, open
                page.locator("#deck-kind").select_option("quiz")
            found = serious_violations(page, axe_source)
            if found:
                failures[f"{name} {size} {scheme}"] = found
            page.context.close()
    assert not failures, failures


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_german_pages_pass_axe(server, staged, new_page, axe_source, size, scheme):
    """The other locale too: longer words must not break the layout into violations."""
    failures = {}
    for name, (path, handle) in pages(staged).items():
        page = new_page(**SIZES[size], color_scheme=scheme, locale="de-DE")
        page.goto(server.url + path)
        settled(page, handle)
        if handle:
            expect(page.locator("#poll-results .total")).to_have_text("2 Antworten")
        found = serious_violations(page, axe_source)
        if found:
            failures[name] = found
        page.context.close()
    assert not failures, failures


# Every control a finger or a key can reach; a control inside a <label> is hit through it.
TARGETS = """() => [...document.querySelectorAll(
    "button, a[href], input, select, textarea, summary, [role=button], [tabindex]")]
  .filter((el) => el.checkVisibility() && !el.closest(".sr-only"))
  .map((el) => {
    const box = (el.closest("label") || el).getBoundingClientRect();
    return { what: el.id || el.className || el.tagName, width: box.width, height: box.height };
  })"""


def test_tap_targets_are_44_px_on_phones(server, staged, new_page):
    for path, handle in list(pages(staged).values()):
        page = new_page(**PHONE)
        page.goto(server.url + path)
        settled(page, handle)
        small = [t for t in page.evaluate(TARGETS) if t["width"] < 44 or t["height"] < 44]
        assert not small, (path, small)
        page.context.close()


@pytest.mark.parametrize("kind", [kind for kind in KINDS if kind != "choice"])
def test_tap_targets_of_every_kind_of_poll(server, new_page, kind):
    """The phone's answer controls of each kind (a ranking's handles and moves, a text box, a
    quiz's options and nickname form) and the presenter's deck editor, on a 360 px phone."""
    staged = stage_room(server.url, f"tap-{kind}-" + uuid.uuid4().hex[:6], kind)
    for name in ("room", "presenter"):
        path, handle = pages(staged)[name]
        page = new_page(**PHONE)
        page.goto(server.url + path)
        settled(page, handle)
        if name == "presenter":
            page.locator("#deck-edit summary").click()
            page.locator("#deck-kind").select_option("quiz")
        small = [t for t in page.evaluate(TARGETS) if t["width"] < 44 or t["height"] < 44]
        assert not small, (name, small)
        page.context.close()


def font_px(page, selector: str) -> float:
    return page.eval_on_selector(selector, "(el) => parseFloat(getComputedStyle(el).fontSize)")


def test_projector_theme_is_dark_and_legible_from_the_back(server, staged, new_page):
    screen = new_page(**PROJECTOR, color_scheme="dark")
    screen.goto(f"{server.url}/display/{staged.room}")
    settled(screen, "chorusScreen")
    background = "() => getComputedStyle(document.body).backgroundColor"
    assert screen.evaluate(background) == "rgb(0, 0, 0)"  # prefers-color-scheme: dark
    toggle = screen.locator("#theme-toggle")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    # The question and the results: at least 4% of 1080 px.
    for selector in ("#poll-question", "#poll-results .bar-label", "#poll-results .count",
                     "#poll-results .pct", "#poll-results .total"):
        assert font_px(screen, selector) >= 0.04 * 1080, selector
    shots = ROOT / "docs" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    screen.screenshot(path=str(shots / "projector-dark.png"))

    toggle.press("Enter")  # the keyboard reaches it too
    expect(toggle).to_have_attribute("aria-pressed", "false")
    assert screen.evaluate(background) == "rgb(246, 247, 251)"
    screen.reload()  # the choice is kept by this browser
    expect(screen.locator("#theme-toggle")).to_have_attribute("aria-pressed", "false")
    assert screen.evaluate(background) == "rgb(246, 247, 251)"

    light = new_page(**PROJECTOR, color_scheme="light")
    light.goto(staged.presenter_url(server.url))
    settled(light, "chorusScreen")
    expect(light.locator("#theme-toggle")).to_have_attribute("aria-pressed", "false")
    light.locator("#theme-toggle").click()
    assert light.evaluate(background) == "rgb(0, 0, 0)"


@pytest.mark.parametrize("kind, results", [
    ("ranking", ["#poll-results .bar-label", "#poll-results .rank", "#poll-results .total"]),
    ("text", ["#poll-results .text-answers li", "#poll-results .total"]),
    ("quiz", ["#poll-results .bar-label", "#poll-results .count", "#leaderboard .leader"]),
    ("scale", ["#poll-results .histogram .count", "#poll-results .mean"]),
    ("cloud", ["#poll-results .cloud .word"]),
])
def test_every_kind_of_result_is_legible_from_the_back(server, new_page, kind, results):
    staged = stage_room(server.url, f"hall-{kind}-" + uuid.uuid4().hex[:6], kind)
    screen = new_page(**PROJECTOR, color_scheme="dark")
    screen.goto(f"{server.url}/display/{staged.room}")
    settled(screen, "chorusScreen")
    for selector in ("#poll-question", *results):
        assert font_px(screen, selector) >= 0.04 * 1080, selector


def test_reduced_motion_stops_the_reaction_bursts(server, staged, new_page):
    calm = new_page(**PROJECTOR, reduced_motion="reduce")
    moving = new_page(**PROJECTOR, reduced_motion="no-preference")
    for screen in (calm, moving):
        screen.goto(f"{server.url}/display/{staged.room}")
        settled(screen, "chorusScreen")
    phone = new_page(**PHONE, reduced_motion="reduce")
    phone.goto(f"{server.url}/r/{staged.room}")
    settled(phone, "chorusAudience")
    clap = phone.locator('.reaction[data-emoji="👏"]')
    clap.click()
    for screen in (calm, moving):
        expect(screen.locator('#reaction-counts [data-emoji="👏"] .count')).to_have_text("1")
    # Bursts are drawn in the same handler that set the count: by now they exist, or never will.
    assert moving.locator("#bursts .floater").count() > 0
    assert calm.locator("#bursts .floater").count() == 0
    assert "popped" not in (clap.get_attribute("class") or "")  # no pop on the phone either
    floaters_hidden = calm.evaluate("""() => { const probe = document.createElement('span');
        probe.className = 'floater'; document.getElementById('bursts').append(probe);
        const shown = getComputedStyle(probe).display; probe.remove(); return shown; }""")
    assert floaters_hidden == "none"  # and style.css hides any that were


def tab_to(page, selector: str, limit: int = 60) -> None:
    """Press Tab until ``selector`` has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement?.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_audience_and_presenter_work_by_keyboard(server, new_page):
    staged = stage_room(server.url, "tasten-" + uuid.uuid4().hex[:6])
    phone = new_page(**PHONE)
    phone.goto(f"{server.url}/r/{staged.room}")
    settled(phone, "chorusAudience")
    tab_to(phone, '#poll-answer .option[data-answer="2"]')
    phone.keyboard.press("Space")
    expect(phone.locator('#poll-answer .option[data-answer="2"]')) \
        .to_have_attribute("aria-pressed", "true")
    tab_to(phone, ".pace button[data-pace='good']")
    phone.keyboard.press("Enter")
    expect(phone.locator(".pace button[data-pace='good']")) \
        .to_have_attribute("aria-pressed", "true")
    tab_to(phone, "#ask-text")
    phone.keyboard.type("Geht alles mit der Tastatur?")
    tab_to(phone, "#ask-send")
    phone.keyboard.press("Enter")
    expect(phone.locator("#questions .question")).to_have_count(3)

    screen = new_page(**PROJECTOR)
    screen.goto(staged.presenter_url(server.url))
    settled(screen, "chorusScreen", questions=3, answers=3)
    expect(screen.locator("#poll-results .total")).to_have_text("3 answers")
    tab_to(screen, "#poll-reveal")
    screen.keyboard.press("Enter")
    expect(screen.locator("#poll-visibility")).to_have_text("Hidden from audience")
    expect(phone.locator("#poll-results")).to_be_hidden()
    tab_to(screen, "#questions .q-answer")
    screen.keyboard.press("Space")
    expect(phone.locator("#questions .answered")).to_have_count(2)


def test_live_results_are_announced_politely(server, staged, new_page):
    for path, handle in ((f"/r/{staged.room}", "chorusAudience"),
                         (f"/display/{staged.room}", "chorusScreen")):
        page = new_page(**PHONE)
        page.goto(server.url + path)
        settled(page, handle)
        expect(page.locator("#poll-results .total")).to_have_attribute("aria-live", "polite")
        expect(page.locator("#announce")).to_have_attribute("aria-live", "polite")
        expect(page.locator("#presence")).to_have_attribute("aria-live", "polite")
