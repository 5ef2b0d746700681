// The co-host's moderation screen (/moderate/<room>, app/web/cohost.py): joins /poll and /qa
// with the co-host token, so it sees what the presenter sees and may moderate: open answers
// (Show/Reject), words (Remove), questions (Answered, Hide, Show again, Freeze). Nothing here
// opens, closes or reveals a poll; the server would answer `forbidden` anyway.

import { Channel, el, explain } from "./audience.js";
import { KIND_NAMES, renderResults } from "./poll-view.js";
import { renderQuestions } from "./qa-view.js";
import { drawWaiting, wordRemoval } from "./moderation.js";
import { t } from "./i18n.js";

const stage = document.getElementById("moderate");
const room = stage.dataset.room;
const token = stage.dataset.token;
const $ = (id) => document.getElementById(id);
const note = (id) => (text) => { $(id).textContent = text; };

const pollChannel = new Channel("/poll", room, { token });
const qaChannel = new Channel("/qa", room, { token });
window.chorusScreen = { poll: pollChannel, qa: qaChannel }; // tests

const drawRemovable = wordRemoval($("poll-results"), pollChannel, note("poll-note"));

function setPoll(view) {
  const p = view.poll;
  const results = view.results;
  $("poll-kind").textContent = p ? KIND_NAMES[p.kind] : t("Poll");
  $("poll-question").textContent = p ? p.question : t("No poll running");
  $("poll-results").hidden = !(p && results);
  if (p && results) renderResults($("poll-results"), p, results);
  drawRemovable(p, results);
  const waiting = p?.kind === "text" && results?.waiting ? results.waiting : [];
  $("moderation").hidden = waiting.length === 0;
  drawWaiting($("waiting"), pollChannel, p, waiting, note("poll-note"));
}
pollChannel.addEventListener("joined", (e) => setPoll(e.detail));
pollChannel.on("poll", setPoll);

async function moderate(event, id, fields) {
  const ack = await qaChannel.send(event, { id, ...fields });
  if (!ack.ok) $("qa-note").textContent = explain(ack);
}

const parts = {
  build(q) {
    const answered = el("button", { cls: "secondary q-answer", text: t("Answered"),
                                    attrs: { type: "button", "aria-pressed": "false" } });
    answered.addEventListener("click", () => moderate("answered", q.id,
      { answered: answered.getAttribute("aria-pressed") !== "true" }));
    const hide = el("button", { cls: "secondary q-hide", text: t("Hide"),
                                attrs: { type: "button" } });
    hide.addEventListener("click", () => moderate("hide", q.id, { hidden: true }));
    return el("div", { cls: "q-actions" },
      el("span", { cls: "vote-count" }, el("span", { cls: "votes", text: String(q.votes) }),
        el("span", { cls: "sr-only", text: t(" votes") })),
      el("div", { cls: "q-buttons" }, answered, hide));
  },
  update(item, q) {
    item.querySelector(".votes").textContent = String(q.votes);
    const answered = item.querySelector(".q-answer");
    answered.setAttribute("aria-pressed", String(!!q.answered));
    answered.textContent = q.answered ? t("Answered ✓") : t("Answered");
  },
};

let frozen = false;
function setQuestions(view) {
  renderQuestions($("questions"), view.questions, parts);
  $("qa-empty").hidden = view.questions.length > 0;
  $("qa-count").textContent = view.total ? `(${view.total})` : "";
  const hidden = view.hidden_questions || [];
  $("hidden-here").hidden = hidden.length === 0;
  $("hidden-list").replaceChildren(...hidden.map((q) => {
    const again = el("button", { cls: "secondary", text: t("Show again"),
                                 attrs: { type: "button" } });
    again.addEventListener("click", () => moderate("hide", q.id, { hidden: false }));
    return el("li", {}, el("span", { text: q.text }), again);
  }));
  frozen = view.frozen;
  $("freeze").setAttribute("aria-pressed", String(frozen));
  $("freeze").textContent = frozen ? t("Order frozen: unfreeze") : t("Freeze order");
}
qaChannel.addEventListener("joined", (e) => setQuestions(e.detail));
qaChannel.on("questions", setQuestions);
$("freeze").addEventListener("click", async () => {
  const ack = await qaChannel.send("freeze", { frozen: !frozen });
  if (!ack.ok) $("qa-note").textContent = explain(ack);
});
