// The big screen: /present/<room> for the presenter (its cookie), /display/<room> for a second
// screen. Same page, same code; the token decides whether there are controls.
//
// The presenter joins /poll and /qa with the token (results always visible, every question),
// and /pulse with it (reaction bursts and the pace meter). The display joins without a token,
// so it sees exactly what the audience sees (results once revealed), and /pulse with
// `screen: true` to get the bursts and pace. Everyone here also joins /sync (static/chorus.js)
// for the audience count and a read-only summary of the room's shared values: the projector
// shows them, the phones change them.

import { SyncRoom } from "./chorus.js";
import { Channel, announcer, el, explain, reducedMotion } from "./audience.js";
import { KIND_NAMES, renderResults } from "./poll-view.js";
import { newcomers, renderQuestions, summary } from "./qa-view.js";
import { countdown, renderLeaderboard, secondsLeft, syncClock } from "./quiz-view.js";
import { DeckPanel } from "./deck-panel.js";
import { bindClicker } from "./clicker.js";
import { serverText, t } from "./i18n.js";
import { followRoomLanguage } from "./room-language.js";
import { focusLost, keepFocus } from "./focus-keeper.js";
import { wordRemoval } from "./moderation.js";
import { bindFocus } from "./screen-focus.js";

const stage = document.getElementById("present");
const room = stage.dataset.room;
const token = stage.dataset.token || null;
const presenter = token !== null;
const say = announcer(document.getElementById("announce"));
const $ = (id) => document.getElementById(id);

const pollChannel = new Channel("/poll", room, { token });
const qaChannel = new Channel("/qa", room, { token });
const pulseChannel = new Channel("/pulse", room, presenter ? { token } : { join: { screen: true } });
const sync = new SyncRoom(room, { token });
const deck = presenter ? new DeckPanel(room, token, () => nextQuestion()) : null;
window.chorusScreen = { poll: pollChannel, qa: qaChannel, pulse: pulseChannel, sync }; // tests
if (!presenter) followRoomLanguage(pulseChannel); // the display speaks the room's language

for (const channel of [pollChannel, qaChannel, pulseChannel]) {
  channel.addEventListener("refused", (e) => {
    const reason = serverText(e.detail?.error?.message, t("refused by the server"));
    $("poll-note").textContent = t("Refused by the server: {reason}", { reason });
  });
}

function note(id, text, ms = 6000) {
  const node = $(id);
  if (!node) return;
  node.textContent = text;
  clearTimeout(node.clearTimer);
  if (text) node.clearTimer = setTimeout(() => { node.textContent = ""; }, ms);
}

// ---------------------------------------------------------------------------------------------
// The "room created" box: the secret link is shown once. Dropping `created` from the address
// means a reload (or the bookmark) does not put it on the projector again.

if (presenter) {
  const url = new URL(window.location.href);
  if (url.searchParams.has("created")) {
    url.searchParams.delete("created");
    history.replaceState(null, "", url);
  }
  $("created-close")?.addEventListener("click", () => $("created").remove());
  $("copy-presenter-link").addEventListener("click", () => copyPresenterLink());
  $("copy-cohost-link").addEventListener("click",
    () => copyPresenterLink("cohost-link", "cohost-copy-note"));
}

// The second device's link (the token in its fragment, never sent to a server), or the
// co-host's, to the clipboard; where the Clipboard API is missing (plain http on a LAN
// address) the old way.
async function copyPresenterLink(fieldId = "second-device-link", noteId = "copy-note") {
  const field = $(fieldId);
  let copied = false;
  try {
    await navigator.clipboard.writeText(field.value);
    copied = true;
  } catch (error) {
    field.select();
    copied = document.execCommand("copy");
  }
  note(noteId, copied ? t("Copied") : t("Select the link and copy it"), 4000);
}

// ---------------------------------------------------------------------------------------------
// Audience count and shared values, from /sync

sync.addEventListener("presence", (e) => {
  const n = e.detail.members;
  $("members").textContent = String(n);
  $("members").dataset.members = String(n);
  // The count is of devices in the room, and this screen is one of them.
  $("members-label").textContent = n === 1 ? t("connected: just this screen")
    : t("connected, this screen included");
  $("presence").textContent = t("{count} here", { count: n });
});

sync.addEventListener("status", (e) => {
  const { status, transport } = e.detail;
  const badge = $("badge");
  badge.className = `badge badge-${status}`;
  badge.dataset.status = status;
  badge.dataset.transport = transport || "";
  badge.textContent = status === "live" ? transport : status === "reconnecting"
    ? t("reconnecting…") : t("connecting…");
});

function showValue(key) {
  const list = $("values");
  let row = list.querySelector(`[data-key="${CSS.escape(key)}"]`);
  const value = sync.value(key);
  if (value === undefined) {
    row?.remove();
  } else {
    if (!row) {
      row = el("div", { cls: "value-row", attrs: { "data-key": key } },
        el("dt", { text: key }), el("dd"));
      list.append(row);
    }
    const dd = row.querySelector("dd");
    if (typeof value === "boolean") dd.replaceChildren(value ? t("on") : t("off"));
    else if (typeof value === "string" && /^#[0-9a-fA-F]{6}$/.test(value)) {
      const swatch = el("span", { cls: "swatch", attrs: { "aria-hidden": "true" } });
      swatch.style.background = value;
      dd.replaceChildren(swatch, value);
    } else dd.replaceChildren(typeof value === "string" ? value : JSON.stringify(value));
  }
  $("values-empty").hidden = list.children.length > 0;
}
sync.addEventListener("reset", () => {
  $("values").replaceChildren();
  for (const key of sync.state.keys()) showValue(key);
  $("values-empty").hidden = $("values").children.length > 0;
});
sync.addEventListener("change", (e) => showValue(e.detail.key));

// ---------------------------------------------------------------------------------------------
// The poll

let current = null; // P
let results = null; // R, or null (a display before the reveal)
let pollSeen = false; // the poll found on opening the page is not news
let lastSpoken = 0;
// "Remove a word", under the results: a cloud's words and the shown open answers' words.
const drawRemovable = presenter
  ? wordRemoval($("poll-results"), pollChannel, (text) => note("poll-note", text)) : null;

function setPoll(view) {
  const before = current;
  const samePoll = !!(before && view.poll && before.id === view.poll.id);
  current = view.poll;
  results = view.results;
  syncClock(view);
  drawPoll();
  drawQuiz(view);
  if (deck && view.deck) deck.setStatus(view.deck);
  const box = $("poll-results");
  if (view.poll && !samePoll && pollSeen) {
    say(t("New poll: {question}", { question: view.poll.question }));
  } else if (samePoll && view.results && performance.now() - lastSpoken > 5000 &&
             box.dataset.spoken !== String(view.results.total)) {
    // Results move with every answer: the screen reader hears the count at most every 5 s.
    lastSpoken = performance.now();
    box.dataset.spoken = String(view.results.total);
    const total = view.results.total;
    say(total === 1 ? t("1 answer") : t("{count} answers", { count: total }));
  }
  pollSeen = true;
}

function drawPoll() {
  const p = current;
  const box = $("poll-results");
  $("poll-kind").textContent = p ? KIND_NAMES[p.kind] : t("Poll");
  $("poll-question").textContent = p ? p.question : t("No poll running");
  const state = $("poll-state");
  state.hidden = !p;
  const visibility = $("poll-visibility");
  visibility.hidden = !p || !presenter;
  // A quiz question takes answers until the server's closes_at, whatever `open` still says.
  const open = !!p && p.open && !(p.kind === "quiz" && secondsLeft(p) <= 0);
  $("poll").dataset.state = p ? (open ? "open" : "closed") : "none";
  if (p) {
    state.textContent = open ? t("Open") : t("Closed");
    state.className = `pill ${open ? "pill-open" : "pill-closed"}`;
    visibility.textContent = p.revealed ? t("Shown to audience") : t("Hidden from audience");
    visibility.className = `pill ${p.revealed ? "pill-open" : "pill-hidden"}`;
  }
  box.hidden = !(p && results);
  if (p && results) renderResults(box, p, results);
  drawRemovable?.(p, results);
  let text = "";
  if (!p && presenter) text = t("Open a poll below; phones show it at once.");
  else if (p && !results) text = t("Results appear here when the presenter reveals them.");
  $("poll-note").textContent = text;
  if (presenter) drawPollActions(p);
}

// The quiz's countdown and leaderboard, and the open answers waiting for the presenter.
function drawQuiz(view) {
  countdown($("countdown"), current?.kind === "quiz" ? current : null, () => drawPoll());
  $("leaderboard-box").hidden = !view.leaderboard;
  if (view.leaderboard) renderLeaderboard($("leaderboard"), view.leaderboard);
  $("leaderboard-title").textContent = view.finale ? t("Final leaderboard") : t("Leaderboard");
  if (!presenter) return;
  const waiting = current?.kind === "text" && results?.waiting ? results.waiting : [];
  $("moderation").hidden = waiting.length === 0;
  keepFocus($("waiting"), () => drawWaiting(waiting), () => $("poll-reveal"));
}

function drawWaiting(waiting) {
  $("waiting").replaceChildren(...waiting.map((answer) => {
    const show = t("Show: {answer}", { answer: answer.text });
    const reject = t("Reject: {answer}", { answer: answer.text });
    const choices = [[t("Show"), show, true], [t("Reject"), reject, false]];
    const buttons = choices.map(([label, named, shown]) => {
      const button = el("button", { cls: "secondary small", text: label,
                                    attrs: { type: "button", "aria-label": named } });
      button.addEventListener("click", async () => {
        const ack = await pollChannel.send("moderate", { poll: current.id, id: answer.id, shown });
        if (!ack.ok) note("poll-note", explain(ack));
      });
      return button;
    });
    return el("li", { attrs: { "data-id": answer.id } }, el("span", { text: answer.text }),
      el("span", { cls: "q-buttons" }, ...buttons));
  }));
}

// The new-poll form folds away while a poll runs, so the results have the screen; it unfolds
// by itself when there is no poll (until the presenter folds it).
function showPollForm(open) {
  $("new-poll").hidden = !open;
  $("new-poll-toggle").setAttribute("aria-expanded", String(open));
  $("new-poll-toggle").textContent = open ? t("Hide form") : t("+ New poll");
}

function drawPollActions(p) {
  $("poll-actions").hidden = !p;
  if (!p && !$("new-poll").dataset.touched) showPollForm(true);
  if (!p) return;
  const reveal = $("poll-reveal");
  reveal.textContent = p.revealed ? t("Hide results") : t("Reveal results");
  $("poll-close").disabled = !p.open;
  $("poll-close").textContent = p.open ? t("Close poll") : t("Closed");
  // Under the presenter path, so the presenter cookie goes along and no URL holds the token.
  const base = `/present/${encodeURIComponent(room)}/polls/${p.id}/results`;
  $("poll-csv").href = `${base}.csv`;
  $("poll-json").href = `${base}.json`;
}

pollChannel.addEventListener("joined", (e) => setPoll(e.detail));
pollChannel.on("poll", setPoll);

if (presenter) {
  const form = $("poll-form");
  $("new-poll-toggle").addEventListener("click", () => {
    $("new-poll").dataset.touched = "1";
    const open = $("new-poll").hidden;
    showPollForm(open);
    if (open) $("poll-text").focus();
  });
  const optionsField = $("poll-options-field");
  const kindOf = () => form.elements.kind.value;
  const showOptions = () => {
    optionsField.hidden = !["choice", "ranking", "quiz"].includes(kindOf());
    $("poll-quiz-fields").hidden = kindOf() !== "quiz";
  };
  for (const radio of form.elements.kind) radio.addEventListener("change", showOptions);
  showOptions();

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const kind = kindOf();
    const payload = { kind, question: $("poll-text").value.trim(),
                      hidden: $("poll-hidden").checked };
    if (kind === "quiz") {
      payload.correct = Number($("poll-correct").value) - 1;
      payload.seconds = Number($("poll-seconds").value);
    }
    if (kind === "choice" || kind === "ranking" || kind === "quiz") {
      payload.options = $("poll-options").value.split("\n").map((o) => o.trim()).filter(Boolean);
      if (payload.options.length < 2 || payload.options.length > 8) {
        note("poll-form-note", kind === "choice"
          ? t("A multiple-choice poll needs 2 to 8 options, one per line.")
          : t("This kind needs 2 to 8 options, one per line."));
        return;
      }
    }
    // Disabling the focused button drops the focus: it goes back, or on to the new poll's
    // Close button, so the keyboard stays where the presenter works.
    const focused = form.contains(document.activeElement);
    $("poll-open").disabled = true;
    const ack = await pollChannel.send("open", payload);
    $("poll-open").disabled = false;
    if (!ack.ok) {
      note("poll-form-note", explain(ack, t("a poll")));
      if (focused && focusLost()) $("poll-open").focus();
      return;
    }
    note("poll-form-note", "");
    form.reset();
    showOptions();
    showPollForm(false);
    // The `poll` event brings the results within a quarter second; show the question now.
    if (!current || ack.poll.id > current.id) {
      setPoll({ poll: ack.poll, results: emptyResults(ack.poll) });
    }
    if (focused && focusLost()) $("poll-close").focus();
  });

  $("poll-reveal").addEventListener("click", revealPoll);
  $("poll-close").addEventListener("click", closePoll);
  bindClicker({ next: nextQuestion, reveal: revealPoll, close: closePoll });
}

async function revealPoll() {
  if (!current) return;
  const ack = await pollChannel.send("reveal", { poll: current.id, revealed: !current.revealed });
  if (ack.ok) applyPoll(ack.poll);
  else note("poll-note", explain(ack));
}

async function closePoll() {
  if (!current || !current.open) return;
  const focused = document.activeElement === $("poll-close");
  const ack = await pollChannel.send("close", { poll: current.id });
  if (ack.ok) applyPoll(ack.poll);
  else note("poll-note", explain(ack));
  // The Close button is disabled now: the keyboard goes on to the next poll, the form's first
  // field when it is unfolded, else the button that unfolds it.
  if (focused && focusLost()) {
    if ($("new-poll").hidden) $("new-poll-toggle").focus();
    else $("poll-form").querySelector('input[name="kind"]:checked')?.focus();
  }
}


// The deck's next question (the button, or the clicker's PageDown).
async function nextQuestion() {
  const ack = await pollChannel.send("next");
  if (!ack.ok) {
    note("deck-note", explain(ack));
    return;
  }
  deck.setStatus(ack.deck);
  if (ack.finished) say(t("The deck is done: the final leaderboard is up."));
  else if (!current || ack.poll.id > current.id) {
    setPoll({ poll: ack.poll, results: emptyResults(ack.poll) });
  }
}

// A presenter's ack carries the poll without results: keep the results we have.
function applyPoll(p) {
  if (current && p.id === current.id) {
    current = p;
    drawPoll();
  }
}

function emptyResults(p) {
  if (p.kind === "cloud") return { total: 0, words: [] };
  if (p.kind === "text") return { total: 0, shown: 0, answers: [], waiting: [] };
  if (p.kind === "ranking") {
    return { total: 0, ranks: p.options.map(() => null), order: p.options.map((_, i) => i) };
  }
  if (p.kind === "quiz") return { total: 0, counts: p.options.map(() => 0), right: 0 };
  const counts = p.options.map(() => 0);
  return p.kind === "scale" ? { total: 0, counts, mean: null } : { total: 0, counts };
}

// ---------------------------------------------------------------------------------------------
// Q&A

const focusButton = bindFocus({ pulse: pulseChannel, qa: qaChannel, presenter,
                                note: (text) => note("qa-note", text) });

const hiddenHere = new Map(); // id -> text: questions hidden from this screen, to show again

const questionParts = {
  build(q) {
    const votes = el("span", { cls: "vote-count" },
      el("span", { cls: "arrow", text: "▲", attrs: { "aria-hidden": "true" } }),
      el("span", { cls: "votes", text: String(q.votes) }),
      el("span", { cls: "sr-only", text: t(" votes") }));
    if (!presenter) return el("div", { cls: "q-actions" }, votes);
    const answered = el("button", { cls: "secondary q-answer", text: t("Answered"),
                                    attrs: { type: "button", "aria-pressed": "false" } });
    answered.addEventListener("click", () => moderate("answered", q.id,
      { answered: answered.getAttribute("aria-pressed") !== "true" }));
    const hide = el("button", { cls: "secondary q-hide", text: t("Hide"),
                                attrs: { type: "button" } });
    hide.addEventListener("click", () => {
      hiddenHere.set(q.id, q.text);
      moderate("hide", q.id, { hidden: true });
    });
    return el("div", { cls: "q-actions" }, votes,
      el("div", { cls: "q-buttons" }, answered, hide, focusButton(q)));
  },
  update(item, q) {
    const answered = item.querySelector(".q-answer");
    if (answered) {
      answered.setAttribute("aria-pressed", String(!!q.answered));
      answered.textContent = q.answered ? t("Answered ✓") : t("Answered");
    }
  },
};

async function moderate(event, id, fields) {
  const ack = await qaChannel.send(event, { id, ...fields });
  if (!ack.ok) note("qa-note", explain(ack));
  if (event === "hide") drawHiddenHere();
}

// Presenters are sent the hidden questions too (hidden_questions), so a wrong click can be
// undone, even after a reload.
function drawHiddenHere() {
  const box = $("hidden-here");
  keepFocus($("hidden-list"), () => {
    box.hidden = hiddenHere.size === 0;
    drawHiddenList();
  }, () => $("freeze"));
}

function drawHiddenList() {
  $("hidden-list").replaceChildren(...[...hiddenHere].map(([id, text]) => {
    const again = el("button", { cls: "secondary", text: t("Show again"),
                                 attrs: { type: "button" } });
    again.addEventListener("click", async () => {
      const ack = await qaChannel.send("hide", { id, hidden: false });
      if (ack.ok) hiddenHere.delete(id);
      else note("qa-note", explain(ack));
      drawHiddenHere();
    });
    return el("li", {}, el("span", { text }), again);
  }));
}

const fresh = newcomers();
let frozen = false;
function setQuestions(view) {
  if (Array.isArray(view.hidden_questions)) {
    hiddenHere.clear();
    for (const q of view.hidden_questions) hiddenHere.set(q.id, q.text);
    drawHiddenHere();
  }
  // A hidden question leaves the list: the focus goes on to the one taking its place.
  keepFocus($("questions"), () => renderQuestions($("questions"), view.questions, questionParts),
            () => (hiddenHere.size ? $("hidden-here").querySelector("summary") : $("freeze")));
  $("qa-empty").hidden = view.questions.length > 0;
  $("qa-count").textContent = view.total ? `(${view.total})` : "";
  $("qa-summary").textContent = summary(view);
  frozen = view.frozen;
  const freeze = $("freeze");
  if (freeze) {
    freeze.setAttribute("aria-pressed", String(frozen));
    freeze.textContent = frozen ? t("Order frozen: unfreeze") : t("Freeze order");
  }
  const news = fresh(view.questions);
  if (news.length === 1) say(t("New question: {text}", { text: news[0].text }));
  else if (news.length > 1) say(t("{count} new questions", { count: news.length }));
}
qaChannel.addEventListener("joined", (e) => setQuestions(e.detail));
qaChannel.on("questions", setQuestions);
$("freeze")?.addEventListener("click", async () => {
  const ack = await qaChannel.send("freeze", { frozen: !frozen });
  if (!ack.ok) note("qa-note", explain(ack));
});

// ---------------------------------------------------------------------------------------------
// Reactions and pace

const totals = new Map();
const MAX_FLOATING = 40;
const bursts = $("bursts");

// The room's totals are the server's (the join ack, and each burst): a reload shows them. A
// burst from a process that read the store a moment earlier never moves a count back.
function showTotals(kept) {
  for (const [emoji, n] of Object.entries(kept || {})) {
    if (!Number.isInteger(n)) continue;
    totals.set(emoji, Math.max(totals.get(emoji) || 0, n));
    const item = $("reaction-counts").querySelector(`[data-emoji="${CSS.escape(emoji)}"]`);
    if (item) item.querySelector(".count").textContent = String(totals.get(emoji));
  }
}

pulseChannel.on("reactions", ({ counts, totals: kept }) => {
  showTotals(kept);
  // With reduced motion the counters are the whole show.
  if (reducedMotion()) return;
  for (const [emoji, n] of Object.entries(counts)) {
    for (let i = 0; i < Math.min(n, 6); i += 1) float(emoji);
  }
});

// One emoji rising from the bottom of the bursts' own lane (the screen's right edge, kept free
// of text by static/screen.css) and fading; a few hundred phones tapping at once make at most
// MAX_FLOATING on screen, so the projector's browser never chokes.
function float(emoji) {
  if (bursts.childElementCount >= MAX_FLOATING) return;
  const node = el("span", { cls: "floater", text: emoji });
  node.style.left = `${Math.random() * 30}%`;
  node.style.setProperty("--drift", `${Math.round((Math.random() - 0.5) * 16)}px`);
  node.style.animationDuration = `${2.2 + Math.random() * 1.6}s`;
  node.style.animationDelay = `${Math.random() * 0.3}s`;
  node.addEventListener("animationend", () => node.remove());
  setTimeout(() => node.remove(), 5000); // in case the animation never ran (hidden tab)
  bursts.append(node);
}

function setPace(pace) {
  if (!pace) return;
  const sum = pace.slow + pace.good + pace.fast;
  for (const row of $("pace-meter").children) {
    const weight = pace[row.dataset.pace] || 0;
    const share = sum > 0 ? Math.round((100 * weight) / sum) : 0;
    row.querySelector(".bar-fill").style.width = `${share}%`;
    row.querySelector(".pct").textContent = `${share}%`;
    row.dataset.share = String(share);
  }
  $("pace-voters").textContent = pace.voters
    ? (pace.voters === 1 ? t("1 vote in the last minute")
      : t("{count} votes in the last minute", { count: pace.voters }))
    : t("No votes in the last minute.");
}
pulseChannel.addEventListener("joined", (e) => {
  setPace(e.detail.pace);
  showTotals(e.detail.reactions);
});
pulseChannel.on("pace", setPace);

sync.start();
