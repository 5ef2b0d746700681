// Drawing the Q&A list (docs/audience.md, /qa), in the server's order, for phones and screens.
//
// Items are kept per question id and only moved when the order changed: a node that moves loses
// keyboard focus, and redrawing the whole list twice a second would take the upvote button from
// under a finger. The text and name are other people's words and go in with textContent only.

import { el } from "./audience.js";
import { t } from "./i18n.js";

// `parts.build(q)` makes the item's own controls (an element), `parts.update(item, q)` refreshes
// them; the shared body (text, name, votes, answered) is handled here.
export function renderQuestions(list, questions, parts) {
  const held = new Map([...list.children].map((item) => [item.dataset.id, item]));
  const keep = new Set(questions.map((q) => q.id));
  for (const [id, item] of held) if (!keep.has(id)) item.remove();
  questions.forEach((q, i) => {
    let item = held.get(q.id);
    if (!item) item = build(q, parts);
    update(item, q, parts);
    if (list.children[i] !== item) list.insertBefore(item, list.children[i] || null);
  });
}

function build(q, parts) {
  const item = el("li", { cls: "question", attrs: { "data-id": q.id } },
    el("p", { cls: "q-text", text: q.text }),
    el("p", { cls: "q-meta" },
      el("span", { cls: "q-name", text: q.name || t("Anonymous") }),
      el("span", { cls: "q-answered", text: t("✓ Answered") })),
    parts.build(q));
  return item;
}

function update(item, q, parts) {
  item.classList.toggle("answered", !!q.answered);
  item.querySelector(".q-answered").hidden = !q.answered;
  item.dataset.votes = String(q.votes);
  for (const votes of item.querySelectorAll(".votes")) votes.textContent = String(q.votes);
  parts.update(item, q);
}

// "3 hidden by the presenter", "showing 50 of 72": the open side of moderation.
export function summary(view) {
  const parts = [];
  if (view.total > view.questions.length) {
    parts.push(t("Showing {shown} of {total}.", { shown: view.questions.length, total: view.total }));
  }
  if (view.hidden === 1) parts.push(t("1 question hidden by the presenter."));
  else if (view.hidden) parts.push(t("{count} questions hidden by the presenter.", { count: view.hidden }));
  return parts.join(" ");
}

// New questions since the last list, for the aria-live announcer. The first list seen is not
// news: it is what was there when the page opened.
export function newcomers() {
  let seen = null;
  return (questions) => {
    const fresh = seen ? questions.filter((q) => !seen.has(q.id)) : [];
    seen = new Set([...(seen || []), ...questions.map((q) => q.id)]);
    return fresh;
  };
}
