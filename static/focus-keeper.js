// Keyboard focus across a redraw. A list redrawn from the server's view (questions, hidden
// questions, answers waiting for approval) replaces or moves its items, and a focused node that
// is removed or moved leaves the focus on <body>: a keyboard user would need a dozen Tabs to get
// back. keepFocus notes where the focus was (which item, which of its controls), redraws, and
// puts it back: on the same control if it survived, else on the same control of the item that
// now holds that place (the next one, or the last), else on `fallback()`.

const CONTROLS = "button, input, select, textarea, a[href], summary";

/** Run `redraw()` inside `list`, keeping the keyboard focus in it if it was there. */
export function keepFocus(list, redraw, fallback = () => null) {
  const active = document.activeElement;
  if (!active || active === document.body || !list.contains(active)) {
    redraw();
    return;
  }
  const items = [...list.children];
  const index = items.findIndex((item) => item.contains(active));
  const position = index < 0 ? 0 : [...items[index].querySelectorAll(CONTROLS)].indexOf(active);
  redraw();
  if (!focusLost()) return; // still on a usable control: nothing was lost
  if (active.isConnected && !active.disabled && !active.closest("[hidden]")) {
    active.focus(); // the same node, moved
    return;
  }
  focusNear(list, index, position, fallback);
}

/** Focus the `position`-th control of the item at `index` (or the last item), else fallback. */
export function focusNear(list, index, position, fallback = () => null) {
  const items = list.closest("[hidden]") ? [] : [...list.children];
  for (const item of [items[Math.min(index, items.length - 1)], ...items.reverse()]) {
    if (!item) continue;
    const controls = [...item.querySelectorAll(CONTROLS)].filter((c) => !c.disabled);
    const control = controls[Math.max(0, Math.min(position, controls.length - 1))];
    if (control) {
      control.focus();
      return;
    }
  }
  fallback()?.focus();
}

/** Whether the keyboard focus is nowhere useful: on <body>, or still on a control that was just
 * disabled, hidden or removed (Chrome moves it off such a control only at its next frame). */
export function focusLost() {
  const active = document.activeElement;
  return !active || active === document.body || !active.isConnected || !!active.disabled ||
    !!active.closest("[hidden]");
}
