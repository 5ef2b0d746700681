// The quiz on any screen: the countdown to a question's end and the leaderboard.
//
// The server's clock decides when a question closes (docs/audience.md, "Quiz"): every `poll`
// event carries `now`, the server's time, so a screen counts down `closes_at` against the
// server's clock, not its own, which may be minutes off. The countdown is only a display; an
// answer the server gets after `closes_at` is refused whatever this shows.

import { el } from "./audience.js";
import { t } from "./i18n.js";

let offsetMs = 0; // server clock minus this device's clock, from the latest view

/** Note the server's time a view was built at. */
export function syncClock(view) {
  if (typeof view?.now === "number") offsetMs = view.now * 1000 - Date.now();
}

/** Seconds left to answer a quiz question (0 when over), by the server's clock. */
export function secondsLeft(poll) {
  if (!poll || poll.kind !== "quiz" || !poll.open) return 0;
  return Math.max(0, (poll.closes_at * 1000 - (Date.now() + offsetMs)) / 1000);
}

/** Keep `node` showing the time left of `poll`; `ended()` is called once when it runs out. */
export function countdown(node, poll, ended = () => {}) {
  clearInterval(node.countdownTimer);
  const draw = () => {
    const left = secondsLeft(poll);
    node.hidden = !(poll && poll.kind === "quiz" && poll.open);
    node.dataset.left = String(Math.ceil(left));
    node.textContent = left > 0 ? t("{seconds} s left", { seconds: Math.ceil(left) })
      : t("Time is up");
    node.classList.toggle("ending", left > 0 && left <= 5);
    if (left <= 0) {
      clearInterval(node.countdownTimer);
      if (poll && poll.kind === "quiz" && poll.open) ended();
    }
  };
  draw();
  if (poll && poll.kind === "quiz" && poll.open) node.countdownTimer = setInterval(draw, 250);
}

/** Draw the leaderboard rows (rank, nickname as text, points) into the list `list`. */
export function renderLeaderboard(list, rows) {
  list.replaceChildren(...(rows || []).map((row) => el("li", {
    cls: "leader", attrs: { "data-rank": row.rank, "data-points": row.points } },
  el("span", { cls: "leader-rank", text: `${row.rank}.` }),
  el("span", { cls: "leader-name", text: row.nickname ?? t("Anonymous") }),
  el("span", { cls: "leader-points", text: t("{points} points", { points: row.points }) }))));
}
