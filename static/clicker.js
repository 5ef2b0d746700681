// The presenter screen's keys, the ones a presentation clicker sends (docs/audience.md, "Keys
// on the presenter screen"): PageDown and PageUp, arrow keys, and "b" or "." for the clicker's
// blank-screen button. Typing in a form never triggers them.

const NEXT = new Set(["PageDown", "ArrowRight", "ArrowDown", "n", "N"]);
const REVEAL = new Set(["PageUp", "ArrowLeft", "ArrowUp", "r", "R"]);
const CLOSE = new Set(["b", "B", ".", "c", "C"]);

function typing(target) {
  if (!(target instanceof Element)) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

/** Call `next`, `reveal` or `close` for the keys of each; a held key does not repeat. */
export function bindClicker({ next, reveal, close }) {
  document.addEventListener("keydown", (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey || typing(e.target)) return;
    const action = NEXT.has(e.key) ? next : REVEAL.has(e.key) ? reveal
      : CLOSE.has(e.key) ? close : null;
    if (!action) return;
    e.preventDefault(); // no page scrolling under the clicker
    if (!e.repeat) action();
  });
}
