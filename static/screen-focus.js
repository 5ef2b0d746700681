// Focus mode on the presenter screen and the display: the poll, or one question, full screen.
//
// The presenter picks it (the "Full screen" button on the poll and on each question) and
// leaves it with Esc or the "Leave full screen" button; the choice goes to the server on
// /pulse (`focus`), which keeps it per room and sends it to every screen of the room, so the
// display shows what the presenter shows, a reload included. A display's own Esc only hides it
// there, until the presenter focuses something else.
//
// The poll is shown in its own card (static/screen.css hides the rest and enlarges it); a
// question gets a view of its own here, kept up to date from the /qa `questions` events, and
// left by itself when the question is no longer shown (hidden, or deleted).

import { el, explain } from "./audience.js";
import { t } from "./i18n.js";

export function bindFocus({ pulse, qa, presenter, note }) {
  let focus = null; // {poll: true} | {question: id} | null
  let dismissed = false; // a display's Esc
  let questions = [];
  const body = document.body;
  const text = el("p", { cls: "focus-text", attrs: { id: "focus-text" } });
  const meta = el("p", { cls: "focus-meta" });
  const view = el("section", { cls: "card focus-view",
                               attrs: { id: "focus-view", "aria-labelledby": "focus-title" } },
    el("h2", { cls: "eyebrow", text: t("Question"), attrs: { id: "focus-title" } }), text, meta);
  view.hidden = true;
  const leave = el("button", { cls: "secondary focus-exit", text: t("Leave full screen (Esc)"),
                               attrs: { type: "button", id: "focus-exit" } });
  leave.hidden = true;
  leave.addEventListener("click", () => choose(null));
  document.getElementById("present").append(view, leave);

  function draw() {
    const shown = dismissed ? null : focus;
    const question = shown?.question ? questions.find((q) => q.id === shown.question) : null;
    const mode = shown?.poll ? "poll" : question ? "question" : "";
    if (mode) body.dataset.focus = mode;
    else delete body.dataset.focus;
    view.hidden = mode !== "question";
    leave.hidden = !(presenter && mode);
    if (question) {
      view.dataset.id = String(question.id);
      text.textContent = question.text;
      const votes = question.votes === 1 ? t("1 vote") : t("{count} votes",
        { count: question.votes });
      meta.textContent = `${question.name || t("Anonymous")} · ${votes}`;
    }
  }

  function show(next) {
    focus = next || null;
    dismissed = false;
    draw();
  }

  async function choose(next) {
    if (!presenter) {
      dismissed = next === null;
      draw();
      return;
    }
    show(next); // at once here; every other screen follows the server's `focus`
    const ack = await pulse.send("focus", { focus: next });
    if (!ack.ok) note(explain(ack));
  }

  pulse.addEventListener("joined", (e) => show(e.detail.focus));
  pulse.on("focus", (data) => show(data.focus));
  const setQuestions = (v) => {
    questions = Array.isArray(v?.questions) ? v.questions : [];
    draw();
  };
  qa.addEventListener("joined", (e) => setQuestions(e.detail));
  qa.on("questions", setQuestions);
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && body.dataset.focus) {
      e.preventDefault();
      choose(null);
    }
  });

  // The display's columns scroll inside themselves (static/screen.css): a keyboard reaches them.
  if (!presenter) {
    const middle = document.querySelector(".middle");
    middle?.setAttribute("tabindex", "0");
    middle?.setAttribute("role", "group");
    middle?.setAttribute("aria-labelledby", "poll-kind pulse-title");
    document.getElementById("questions")?.setAttribute("tabindex", "0");
  }

  if (presenter) {
    const pollButton = el("button", { cls: "secondary small focus-button", text: t("Full screen"),
      attrs: { type: "button", id: "poll-focus", "aria-label": t("Full screen: the poll") } });
    pollButton.addEventListener("click", () => choose({ poll: true }));
    document.getElementById("new-poll-toggle")?.before(pollButton);
  }

  /** The "Full screen" button of one question (presenter only). */
  return function focusButton(q) {
    const button = el("button", { cls: "secondary q-focus", text: t("Full screen"),
      attrs: { type: "button", "aria-label": t("Full screen: {text}", { text: q.text }) } });
    button.addEventListener("click", () => choose({ question: q.id }));
    return button;
  };
}
