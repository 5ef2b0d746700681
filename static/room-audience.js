// The audience side of the room page, on a phone: the current poll, reactions and pace, Q&A.
// The board of shared controls below it (beside it on a wide screen) is static/board.js's.
//
// Each part talks to its namespace through static/audience.js, which rejoins after every
// reconnect and redraws from the join ack, so a phone that slept through a poll's opening
// shows it the moment it is back.

import { Channel, announcer, el, explain, newId, reducedMotion } from "./audience.js";
import { KIND_NAMES, renderResults } from "./poll-view.js";
import { newcomers, renderQuestions, summary } from "./qa-view.js";
import { buildRanking, buildTextAnswer, showRanking } from "./phone-answers.js";
import { Player } from "./quiz-phone.js";
import { secondsLeft } from "./quiz-view.js";
import { t } from "./i18n.js";
import { followRoomLanguage } from "./room-language.js";
import { watchLength } from "./ask-length.js";

const root = document.getElementById("audience");
const room = root.dataset.room;
const say = announcer(document.getElementById("announce"));
const $ = (id) => document.getElementById(id);

const pollChannel = new Channel("/poll", room);
const qaChannel = new Channel("/qa", room);
const pulseChannel = new Channel("/pulse", room);
window.chorusAudience = { poll: pollChannel, qa: qaChannel, pulse: pulseChannel }; // for tests
followRoomLanguage(pulseChannel, { scope: root,
                                   tell: (text) => note("pulse-note", text, 15000) });

// Notes under a form: shown for a while, then cleared, so an old message never looks current.
// With `ms` 0 a note stays until the next one (a refusal the asker has to act on).
function note(id, text, ms = 6000) {
  const node = $(id);
  node.textContent = text;
  clearTimeout(node.clearTimer);
  if (text && ms > 0) node.clearTimer = setTimeout(() => { node.textContent = ""; }, ms);
}

// ---------------------------------------------------------------------------------------------
// The poll

const poll = {
  current: null, // P, or null when the room has no poll
  results: null, // R, or null while hidden from the audience
  mine: null, // this device's answer as counted (a string), from the join ack or an answer ack
  wanted: null, // the latest answer tapped and not sent yet
  sending: null, // the answer on its way
  held: null, // a timer while the rate limit holds the next send back
  problem: null, // why the last answer did not count, shown until one does
};

let pollSeen = false; // the view found on opening the page is not news; later changes are
const player = new Player(pollChannel, say, () => drawPoll());

function setPoll(view, mine) {
  const before = poll.current;
  const hadResults = poll.results !== null;
  const samePoll = !!(before && view.poll && before.id === view.poll.id);
  poll.current = view.poll;
  poll.results = view.results;
  if (mine !== undefined) poll.mine = mine;
  else if (!samePoll) poll.mine = null;
  if (!samePoll) {
    poll.wanted = null;
    poll.problem = null;
  }
  drawPoll();
  player.update(view, poll.mine);
  if (!pollSeen) {
    pollSeen = true;
  } else if (view.poll && !samePoll) {
    say(t("New poll: {question}", { question: view.poll.question }));
  } else if (samePoll && before.open && !view.poll.open) {
    say(t("The poll is closed."));
  } else if (samePoll && !hadResults && view.results) {
    const shown = spoken(view.poll, view.results);
    say(t("Results are shown: {results}", { results: shown }));
  }
}

// Results in one sentence, for the screen reader.
function spoken(p, r) {
  if (p.kind === "choice" || p.kind === "quiz") {
    return p.options.map((o, i) => `${o}: ${r.counts[i]}`).join(", ");
  }
  if (p.kind === "ranking") return r.order.map((i) => p.options[i]).join(", ");
  if (p.kind === "text") return r.answers.slice(0, 5).map((a) => a.text).join(", ");
  if (p.kind === "scale") {
    const mean = r.mean ?? t("none yet");
    return t("mean {mean}, {count} answers", { mean, count: r.total });
  }
  return r.words.slice(0, 5).map(([w, n]) => `${w}: ${n}`).join(", ") || t("no words yet");
}

function drawPoll() {
  const p = poll.current;
  const section = $("poll");
  section.hidden = !p;
  if (!p) return;
  $("poll-kind").textContent = KIND_NAMES[p.kind] || t("Poll");
  const state = $("poll-state");
  // A quiz question takes answers until the server's closes_at, whatever `open` still says.
  const open = p.open && !(p.kind === "quiz" && secondsLeft(p) <= 0);
  state.textContent = open ? t("Open") : t("Closed");
  state.className = `pill ${open ? "pill-open" : "pill-closed"}`;
  section.dataset.state = open ? "open" : "closed";
  $("poll-question").textContent = p.question;

  const answerBox = $("poll-answer");
  if (answerBox.dataset.poll !== String(p.id)) buildAnswer(answerBox, p);
  updateAnswer(answerBox, p);

  const resultsBox = $("poll-results");
  resultsBox.hidden = !poll.results;
  if (poll.results) renderResults(resultsBox, p, poll.results, { mine: poll.mine });

  let text = "";
  if (p.kind === "quiz" && p.open && secondsLeft(p) <= 0) text = t("Time is up.");
  else if (p.kind === "quiz" && !p.open) text = p.revealed ? "" : t("Time is up.");
  else if (!p.open) text = t("This poll is closed.");
  else if (poll.problem) text = poll.problem;
  else if (poll.held && poll.wanted) text = t("Your latest choice is sent in a moment.");
  else if (p.kind === "quiz" && poll.mine !== null) {
    text = t("Your answer is in. The right one shows when the presenter reveals it.");
  } else if (p.kind === "text") text = "";
  else if (poll.mine !== null && !poll.results) {
    text = t("Thanks! Results appear when the presenter shows them.");
  }
  $("poll-note").textContent = text;
}

function buildAnswer(box, p) {
  box.dataset.poll = String(p.id);
  if (p.kind === "choice" || p.kind === "quiz") {
    box.replaceChildren(el("div", { cls: "options" }, ...p.options.map((option, i) =>
      choiceButton(i, option, option))));
  } else if (p.kind === "ranking") {
    buildRanking(box, p, (order) => answer(order));
  } else if (p.kind === "text") {
    buildTextAnswer(box, async (text) => {
      const ack = await pollChannel.send("answer", { poll: p.id, answer: text });
      if (!ack.ok) note("poll-note", explain(ack, t("an answer")));
      return ack;
    });
  } else if (p.kind === "scale") {
    box.replaceChildren(
      el("div", { cls: "scale" }, ...[1, 2, 3, 4, 5].map((v) =>
        choiceButton(v, String(v), t("{value} out of 5", { value: v })))),
      el("p", { cls: "scale-ends", attrs: { "aria-hidden": "true" } },
        el("span", { text: t("1 = low") }), el("span", { text: t("5 = high") })));
  } else {
    const input = el("input", { attrs: { id: "cloud-word", maxlength: 40, required: true,
                                          autocomplete: "off", enterkeyhint: "send",
                                          placeholder: t("A word or two") } });
    const form = el("form", { cls: "cloud-form" },
      el("label", { cls: "sr-only", text: t("Your answer"), attrs: { for: "cloud-word" } }),
      input,
      el("button", { text: t("Send"), attrs: { type: "submit" } }));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const word = input.value.trim();
      if (!word) return;
      answer(word);
      input.value = "";
    });
    box.replaceChildren(form, el("p", { cls: "mine-word" }));
  }
}

function choiceButton(value, text, label) {
  const button = el("button", { cls: "option", text,
                                attrs: { type: "button", "data-answer": value,
                                         "aria-pressed": "false", "aria-label": label } });
  button.addEventListener("click", () => answer(value));
  return button;
}

function updateAnswer(box, p) {
  const shown = poll.wanted ?? poll.sending; // what was tapped last wins on screen
  // A quiz answer is final, and the buttons rest once the server's time is up.
  const locked = p.kind === "quiz" && (poll.mine !== null || secondsLeft(p) <= 0);
  for (const button of box.querySelectorAll("button.option")) {
    const value = button.dataset.answer;
    button.disabled = !p.open || locked;
    button.setAttribute("aria-pressed", String(poll.mine === value));
    button.classList.toggle("sending", shown !== null && String(shown.answer) === value &&
                                       poll.mine !== value);
  }
  if (p.kind === "ranking") {
    showRanking(box, poll.mine);
    box.querySelector(".rank-send").disabled = !p.open;
    box.querySelector(".mine-word").textContent = poll.mine ? t("Your order is in.") : "";
  }
  const form = box.querySelector(".cloud-form") || box.querySelector(".text-form");
  if (form) {
    for (const control of form.elements) control.disabled = !p.open;
    const mine = box.querySelector(".mine-word");
    if (p.kind === "cloud") {
      mine.textContent = poll.mine ? t("Your answer: {answer}", { answer: poll.mine }) : "";
    }
  }
}

// One answer on the wire at a time, the latest tap going next: a burst of taps costs two
// sends, not ten (answers are rate limited per device), and an answer retried after a
// reconnect can never arrive after a newer one and undo it.
function answer(value) {
  const p = poll.current;
  if (!p || !p.open) return;
  poll.wanted = { poll: p.id, answer: value };
  drawPoll();
  if (!poll.sending && !poll.held) sendAnswer();
}

// A rate-limited answer is not dropped: the latest choice (this one, or one tapped since) goes
// again once the limit's retry_after_ms has passed, so the phone and the server end on the
// last choice shown. Any other refusal stays on screen until an answer counts.
async function sendAnswer() {
  poll.sending = poll.wanted;
  poll.wanted = null;
  const ack = await pollChannel.send("answer", poll.sending, { retry: true });
  const sent = poll.sending;
  poll.sending = null;
  const ofThisPoll = sent.poll === poll.current?.id;
  if (ack.ok && poll.current && ack.poll === poll.current.id) {
    poll.mine = ack.mine;
    poll.problem = null;
  } else if (!ack.ok && ack.error?.code === "rate_limited" && ofThisPoll) {
    if (!poll.wanted) poll.wanted = sent;
    poll.held = setTimeout(() => {
      poll.held = null;
      if (poll.wanted && !poll.sending) sendAnswer();
    }, ack.retry_after_ms || ack.error.retry_after_ms || 1000);
    drawPoll();
    return;
  } else if (!ack.ok && ofThisPoll) {
    poll.problem = explain(ack, t("an answer"));
  }
  if (poll.wanted) sendAnswer();
  drawPoll();
}

pollChannel.addEventListener("joined", (e) => setPoll(e.detail, e.detail.mine));
pollChannel.on("poll", (view) => setPoll(view));

// ---------------------------------------------------------------------------------------------
// Reactions and pace

for (const button of document.querySelectorAll(".reaction")) {
  button.addEventListener("click", async () => {
    if (!reducedMotion()) {
      button.classList.remove("popped");
      void button.offsetWidth; // restart the pop animation on every tap
      button.classList.add("popped");
    }
    const ack = await pulseChannel.send("react", { emoji: button.dataset.emoji });
    if (!ack.ok) note("pulse-note", explain(ack, t("reactions")), 3000);
  });
}

// A pace vote fades out on the server over a minute; the pressed button fades with it.
const PACE_FADE_MS = 60000;
let paceTimer = null;
for (const button of document.querySelectorAll(".pace button")) {
  button.addEventListener("click", async () => {
    const ack = await pulseChannel.send("pace", { value: button.dataset.pace });
    if (!ack.ok) {
      note("pulse-note", explain(ack, t("a pace vote")), 3000);
      return;
    }
    for (const other of document.querySelectorAll(".pace button")) {
      other.setAttribute("aria-pressed", String(other === button));
    }
    note("pulse-note", t("Thanks! Your vote counts for a minute; tap again any time."), 4000);
    clearTimeout(paceTimer);
    paceTimer = setTimeout(() => {
      for (const other of document.querySelectorAll(".pace button")) {
        other.setAttribute("aria-pressed", "false");
      }
    }, PACE_FADE_MS);
  });
}

// ---------------------------------------------------------------------------------------------
// Q&A

// Upvoted question ids of this room, kept so the button stays "upvoted" across reloads. The
// server counts once per device anyway; this only spares a tap that would not count.
const UPVOTED_KEY = `chorus.upvoted.${room}`;
function upvoted() {
  try {
    const list = JSON.parse(localStorage.getItem(UPVOTED_KEY) || "[]");
    return new Set(Array.isArray(list) ? list : []);
  } catch {
    return new Set();
  }
}
function rememberUpvote(id) {
  const ids = upvoted();
  ids.add(id);
  localStorage.setItem(UPVOTED_KEY, JSON.stringify([...ids].slice(-500)));
}

const fresh = newcomers();
const questionParts = {
  build(q) {
    const button = el("button", { cls: "upvote", attrs: { type: "button" } },
      el("span", { cls: "arrow", text: "▲", attrs: { "aria-hidden": "true" } }),
      el("span", { cls: "votes", text: String(q.votes) }));
    button.addEventListener("click", () => upvote(q.id, button));
    return el("div", { cls: "q-actions" }, button);
  },
  update(item, q) {
    const button = item.querySelector(".upvote");
    const done = upvoted().has(q.id);
    button.disabled = done || button.classList.contains("sending");
    button.setAttribute("aria-pressed", String(done));
    button.setAttribute("aria-label", done ? t("Upvoted, {count} votes", { count: q.votes })
                                           : t("Upvote, {count} votes", { count: q.votes }));
  },
};

let questionsView = null;
function setQuestions(view) {
  questionsView = view;
  renderQuestions($("questions"), view.questions, questionParts);
  $("qa-empty").hidden = view.questions.length > 0;
  $("qa-summary").textContent = summary(view);
  const news = fresh(view.questions);
  if (news.length === 1) say(t("New question: {text}", { text: news[0].text }));
  else if (news.length > 1) say(t("{count} new questions", { count: news.length }));
}

async function upvote(id, button) {
  button.classList.add("sending");
  button.disabled = true;
  const ack = await qaChannel.send("upvote", { id }, { retry: true });
  button.classList.remove("sending");
  if (ack.ok) {
    rememberUpvote(id);
    const item = button.closest(".question");
    if (item) item.querySelector(".votes").textContent = String(ack.votes);
  } else {
    note("ask-note", explain(ack, t("upvotes")));
  }
  if (questionsView) setQuestions(questionsView);
  else button.disabled = !ack.ok;
}

const NAME_KEY = "chorus.name";
const askForm = $("ask-form");
const askText = $("ask-text");
const askName = $("ask-name");
askName.value = localStorage.getItem(NAME_KEY) || "";

const askLength = watchLength(askText, $("ask-count"), $("ask-count-live"));
const tooLong = (count) => t("A question is at most {max} characters; yours has {count}. " +
                             "Shorten it, then send it again.", { max: askLength.max, count });

askForm.addEventListener("submit", async (e) => {
  e.preventDefault();
  const text = askText.value.trim();
  // Refused here with the reason, the text kept: the server would refuse them the same way.
  if (!text) {
    note("ask-note", t("Type a question first: spaces alone are not one."), 0);
    askText.focus();
    return;
  }
  if (askLength.length() > askLength.max) {
    note("ask-note", tooLong(askLength.length()), 0);
    askText.focus();
    return;
  }
  const name = askName.value.trim();
  if (name) localStorage.setItem(NAME_KEY, name);
  else localStorage.removeItem(NAME_KEY);
  const send = $("ask-send");
  send.disabled = true;
  send.textContent = t("Sending…");
  // Our own id: if the connection drops before the ack, the same question goes again after the
  // reconnect, and the server answers the retry with the question it already has.
  const payload = { text, id: newId() };
  if (name) payload.name = name;
  const ack = await qaChannel.send("ask", payload, { retry: true });
  send.textContent = t("Ask");
  if (ack.ok) {
    if (askText.value.trim() === text) askText.value = "";
    askLength.draw(false);
    send.disabled = false;
    note("ask-note", t("Thanks, your question is in."));
    return;
  }
  // A refusal of the question itself stays until the next try; the text stays in the box.
  const lasting = ack.error?.code === "bad_request";
  note("ask-note", lasting && [...text].length > askLength.max ? tooLong([...text].length)
    : explain(ack, t("a question")), lasting ? 0 : Math.max(6000, ack.retry_after_ms || 0));
  // Rate limited: the button comes back when a question would be taken again.
  setTimeout(() => { send.disabled = false; }, ack.retry_after_ms || 0);
});

qaChannel.addEventListener("joined", (e) => setQuestions(e.detail));
qaChannel.on("questions", setQuestions);

// Another tab of this browser upvoted: show those as done here too.
window.addEventListener("storage", (e) => {
  if (e.key === UPVOTED_KEY && questionsView) setQuestions(questionsView);
});
