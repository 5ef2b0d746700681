// The question box's length, shown as the asker types ("120 / 280"), so a long question is
// shortened before it is sent rather than refused after. The box has no maxlength: the browser
// would cut a pasted question silently, mid-word. The visible count is the textarea's
// description; a polite live region says it once typing pauses, and at once on going over.

import { t } from "./i18n.js";

const PAUSE_MS = 800;

/** Keep `counter` and `live` up to date with `box`'s length; returns `length()` and `max`. */
export function watchLength(box, counter, live) {
  const max = Number(box.dataset.max);
  let timer = null;
  let wasOver = false;
  const length = () => [...box.value.trim()].length; // characters, as the server counts them
  const spoken = (n) => (n > max
    ? t("{count} of {max} characters: {over} too many", { count: n, max, over: n - max })
    : t("{count} of {max} characters", { count: n, max }));
  const draw = (announce = true) => {
    const n = length();
    const over = n > max;
    counter.textContent = `${n} / ${max}`;
    counter.classList.toggle("ask-over", over);
    box.setAttribute("aria-invalid", String(over));
    clearTimeout(timer);
    if (!announce) return;
    if (over !== wasOver) live.textContent = spoken(n); // crossing the limit: say it now
    else timer = setTimeout(() => { live.textContent = spoken(n); }, PAUSE_MS);
    wasOver = over;
  };
  box.addEventListener("input", () => draw());
  draw(false); // the empty box on opening the page is not news
  return { max, length, draw };
}
