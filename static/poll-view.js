// Drawing a poll's results (docs/audience.md, "Results R"), for the phones and the big screen.
//
// Choice and scale results are redrawn in place: the rows stay and only their numbers and widths
// change, so bars glide instead of flickering four times a second (and screen readers are not
// handed a new list each time). A word cloud is rebuilt, since its words come and go and reorder.

import { el } from "./audience.js";
import { t } from "./i18n.js";

export const KIND_NAMES = {
  choice: t("Multiple choice"), cloud: t("Word cloud"), scale: t("Scale 1–5"),
  ranking: t("Ranking"), text: t("Open answers"), quiz: t("Quiz"),
};

// The mark after this device's own answer, drawn by style.css from the attribute (CSS cannot
// translate its own text).
const YOU = t("you");
const percent = (n, total) => (total ? Math.round((100 * n) / total) : 0);
const answers = (n) => (n === 1 ? t("1 answer") : t("{count} answers", { count: n }));

// Draw `results` of `poll` into `box`; `mine` (this device's answer as counted) is marked.
export function renderResults(box, poll, results, { mine = null } = {}) {
  const shape = `${poll.id}:${poll.kind}`;
  if (box.dataset.shape !== shape) {
    box.replaceChildren();
    box.dataset.shape = shape;
    if (poll.kind === "choice" || poll.kind === "quiz") box.append(choiceRows(poll));
    if (poll.kind === "ranking") box.append(rankRows(poll));
    if (poll.kind === "text") box.append(el("ul", { cls: "text-answers" }));
    if (poll.kind === "scale") box.append(scaleColumns(), el("p", { cls: "mean" }));
    if (poll.kind === "cloud") box.append(el("ul", { cls: "cloud" }));
    box.append(el("p", { cls: "total", attrs: { "aria-live": "polite" } }));
  }
  if (poll.kind === "choice" || poll.kind === "quiz") {
    fillBars(box, results.counts, results.total, mine);
    for (const row of box.querySelectorAll(".bar")) {
      // Only once revealed: the presenter's screen is on the projector, and it knows the answer.
      row.classList.toggle("correct", poll.revealed && poll.correct === Number(row.dataset.option));
    }
  }
  if (poll.kind === "ranking") fillRanks(box, results);
  if (poll.kind === "text") fillTexts(box.querySelector(".text-answers"), results.answers);
  if (poll.kind === "scale") fillScale(box, results, mine);
  if (poll.kind === "cloud") fillCloud(box.querySelector(".cloud"), results.words, mine);
  box.querySelector(".total").textContent = poll.kind === "text"
    ? t("{shown} of {count} answers shown", { shown: results.shown, count: results.total })
    : answers(results.total);
  box.dataset.total = String(results.total);
}

function choiceRows(poll) {
  const list = el("ol", { cls: "bars" });
  poll.options.forEach((option, i) => {
    list.append(el("li", { cls: "bar", attrs: { "data-option": i } },
      el("span", { cls: "bar-label", text: option, attrs: { "data-you": YOU } }),
      el("span", { cls: "bar-figures" },
        el("span", { cls: "count", text: "0" }),
        el("span", { cls: "pct", text: "0%" })),
      el("span", { cls: "bar-track", attrs: { "aria-hidden": "true" } },
        el("span", { cls: "bar-fill" }))));
  });
  return list;
}

function fillBars(box, counts, total, mine) {
  const leader = Math.max(0, ...counts);
  for (const row of box.querySelectorAll(".bar")) {
    const i = Number(row.dataset.option);
    const n = counts[i] ?? 0;
    row.querySelector(".count").textContent = String(n);
    row.querySelector(".pct").textContent = `${percent(n, total)}%`;
    row.querySelector(".bar-fill").style.width = `${percent(n, total)}%`;
    row.classList.toggle("mine", mine === String(i));
    row.classList.toggle("leading", n > 0 && n === leader);
  }
}

function scaleColumns() {
  const list = el("ol", { cls: "histogram" });
  for (let v = 1; v <= 5; v += 1) {
    list.append(el("li", { attrs: { "data-value": v } },
      el("span", { cls: "count", text: "0" }),
      el("span", { cls: "column", attrs: { "aria-hidden": "true" } },
        el("span", { cls: "column-fill" })),
      el("span", { cls: "value", text: String(v), attrs: { "data-you": YOU } })));
  }
  return list;
}

function fillScale(box, results, mine) {
  const most = Math.max(1, ...results.counts);
  for (const column of box.querySelectorAll(".histogram li")) {
    const v = Number(column.dataset.value);
    const n = results.counts[v - 1] ?? 0;
    column.querySelector(".count").textContent = String(n);
    column.querySelector(".column-fill").style.height = `${Math.round((100 * n) / most)}%`;
    column.classList.toggle("mine", mine === String(v));
    column.setAttribute("aria-label", `${v}: ${n}`);
  }
  box.querySelector(".mean").textContent =
    t("Mean: {mean}", { mean: results.mean ?? "–" });
}

function fillCloud(list, words, mine) {
  const counts = words.map(([, n]) => n);
  const most = Math.max(1, ...counts);
  const least = Math.min(most, ...counts);
  list.replaceChildren(...words.map(([word, n]) => {
    // From 1x (the rarest) to 2.2x (the most frequent) the list's font size; all alike when
    // every word has the same count.
    const weight = most > least ? (n - least) / (most - least) : 0.4;
    const item = el("li", { attrs: { "data-word": word } },
      el("span", { cls: "word", text: word, attrs: { "data-you": YOU } }),
      el("span", { cls: "count", text: String(n) }));
    item.style.fontSize = `${(1 + 1.2 * weight).toFixed(2)}em`;
    if (word === mine) item.classList.add("mine");
    return item;
  }));
}

// A ranking: the options from best to worst average place; the bar is longer the better.
function rankRows(poll) {
  const list = el("ol", { cls: "bars ranks" });
  poll.options.forEach((option, i) => {
    list.append(el("li", { cls: "bar", attrs: { "data-option": i } },
      el("span", { cls: "bar-label", text: option }),
      el("span", { cls: "bar-figures" }, el("span", { cls: "rank" })),
      el("span", { cls: "bar-track", attrs: { "aria-hidden": "true" } },
        el("span", { cls: "bar-fill" }))));
  });
  return list;
}

function fillRanks(box, results) {
  const list = box.querySelector(".ranks");
  const size = results.ranks.length;
  const rows = new Map([...list.children].map((row) => [Number(row.dataset.option), row]));
  for (const option of results.order) {
    const row = rows.get(option);
    const rank = results.ranks[option];
    row.querySelector(".rank").textContent = rank === null ? "–"
      : t("average place {rank}", { rank });
    const share = rank === null || size < 2 ? 0 : Math.round((100 * (size - rank)) / (size - 1));
    row.querySelector(".bar-fill").style.width = `${share}%`;
    list.append(row); // in the order of the result, best first
  }
}

// Open answers the presenter has shown, newest first; other people's text, as text.
function fillTexts(list, answers) {
  list.replaceChildren(...answers.map((a) => el("li", { text: a.text,
                                                        attrs: { "data-id": a.id } })));
}
