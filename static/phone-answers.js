// The answer controls of the two poll kinds that need more than a tap: a ranking (drag the
// options into order, or move them with buttons, which work by keyboard too) and an open
// text answer. room-audience.js builds the others.

import { el } from "./audience.js";
import { t } from "./i18n.js";

/** Build the ranking controls of `poll` into `box`; `send(order)` gets option numbers, best
 * first. */
export function buildRanking(box, poll, send) {
  const list = el("ol", { cls: "ranking", attrs: { "aria-label": t("Your order, best first") } });
  poll.options.forEach((option, i) => list.append(rankItem(list, option, i)));
  const submit = el("button", { cls: "rank-send", text: t("Send my order"),
                                attrs: { type: "button" } });
  submit.addEventListener("click", () => send(order(list)));
  box.replaceChildren(
    el("p", { cls: "hint", text: t("Drag the options into your order, or use the arrows.") }),
    list, submit, el("p", { cls: "mine-word" }));
}

/** Put the ranking list in the order `mine` ("2,0,1"), as this device sent it. */
export function showRanking(box, mine) {
  const list = box.querySelector(".ranking");
  // Only when the sent order changes: a phone rearranging its list keeps its own order.
  if (!list || !mine || list.dataset.dragging || list.dataset.shown === mine) return;
  list.dataset.shown = mine;
  const items = new Map([...list.children].map((item) => [item.dataset.option, item]));
  for (const option of mine.split(",")) if (items.has(option)) list.append(items.get(option));
  renumber(list);
}

function order(list) {
  return [...list.children].map((item) => Number(item.dataset.option));
}

function rankItem(list, option, i) {
  const up = el("button", { cls: "secondary rank-up", text: "▲",
                            attrs: { type: "button", "aria-label": t("Move up: {option}", { option }) } });
  const down = el("button", { cls: "secondary rank-down", text: "▼",
                              attrs: { type: "button",
                                       "aria-label": t("Move down: {option}", { option }) } });
  const handle = el("span", { cls: "rank-handle", text: "⠿", attrs: { "aria-hidden": "true" } });
  const item = el("li", { cls: "rank-item", attrs: { "data-option": i } },
    handle, el("span", { cls: "rank-place" }), el("span", { cls: "rank-label", text: option }),
    el("span", { cls: "rank-moves" }, up, down));
  up.addEventListener("click", () => move(list, item, -1, up));
  down.addEventListener("click", () => move(list, item, 1, down));
  dragByPointer(list, item, handle);
  queueMicrotask(() => renumber(list));
  return item;
}

function move(list, item, step, focus) {
  const sibling = step < 0 ? item.previousElementSibling : item.nextElementSibling;
  if (!sibling) return;
  if (step < 0) list.insertBefore(item, sibling);
  else list.insertBefore(sibling, item);
  renumber(list);
  focus.focus(); // the button moved with its item: keep the keyboard where it was
}

function renumber(list) {
  [...list.children].forEach((item, n) => {
    item.querySelector(".rank-place").textContent = `${n + 1}.`;
    item.querySelector(".rank-up").disabled = n === 0;
    item.querySelector(".rank-down").disabled = n === list.children.length - 1;
  });
}

// Pointer events work alike for a finger and a mouse (HTML drag and drop does not on phones):
// the item follows the pointer and takes the place of the item whose middle it passes.
function dragByPointer(list, item, handle) {
  handle.addEventListener("pointerdown", (e) => {
    e.preventDefault();
    handle.setPointerCapture(e.pointerId);
    item.classList.add("dragging");
    list.dataset.dragging = "1";
    // The item goes before the first other item whose middle is below the pointer, or last:
    // a finger that overshoots the list's top or bottom still lands the item first or last.
    const moveTo = (y) => {
      const before = [...list.children].find((other) => {
        if (other === item) return false;
        const box = other.getBoundingClientRect();
        return y < box.top + box.height / 2;
      }) || null; // null: last
      if (item.nextElementSibling !== before) list.insertBefore(item, before);
    };
    const onMove = (ev) => { moveTo(ev.clientY); };
    const onUp = () => {
      item.classList.remove("dragging");
      delete list.dataset.dragging;
      handle.removeEventListener("pointermove", onMove);
      handle.removeEventListener("pointerup", onUp);
      handle.removeEventListener("pointercancel", onUp);
      renumber(list);
    };
    handle.addEventListener("pointermove", onMove);
    handle.addEventListener("pointerup", onUp);
    handle.addEventListener("pointercancel", onUp);
  });
}

/** Build an open answer's form into `box`; `send(text)` resolves with the ack. */
export function buildTextAnswer(box, send) {
  const input = el("textarea", { attrs: { id: "text-answer", maxlength: 200, rows: 2,
                                          required: true, placeholder: t("Your answer") } });
  const button = el("button", { text: t("Send"), attrs: { type: "submit" } });
  const sent = el("p", { cls: "mine-word", attrs: { role: "status" } });
  const form = el("form", { cls: "text-form" },
    el("label", { text: t("Your answer (up to 200 characters)"),
                  attrs: { for: "text-answer" } }), input, button);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    button.disabled = true;
    const ack = await send(text);
    button.disabled = false;
    if (ack.ok) {
      input.value = "";
      sent.textContent = t("Sent: it shows on the screen once the presenter approves it.");
    }
  });
  box.replaceChildren(form, sent);
}
