// The room page: draws the controls the room defines (the `board` event on /board, docs/
// audience.md "Defined boards") and binds each to its key in the room (static/chorus.js).
// A control the audience may not write (presenter-only, or locked) is drawn disabled; an
// averaged slider shows the room's mean and count beside this phone's own value; a moderated
// text says when it went to the presenter for approval.
//
// A control shows the server's value, except while you hold it (dragging a slider, typing in
// the text field) or while your own writes to it wait for their ack: then it shows yours, so
// echoes of your older values never pull it back. Once everything is acknowledged it settles on
// the server's value. Sliders send at most ~25 values a second while dragged, and always the last.

import { SyncRoom } from "./chorus.js";
import { Channel } from "./audience.js";
import { number, serverText, t } from "./i18n.js";

const THROTTLE_MS = 40;
const TEXT_THROTTLE_MS = 250;

const board = document.getElementById("board");
const roomName = board.dataset.room;
const room = new SyncRoom(roomName);
window.chorusRoom = room; // for the console, and for tests that look inside

const controls = new Map(); // key -> control binding
const boardChannel = new Channel("/board", roomName);
window.chorusBoard = boardChannel; // for tests that look inside

// Calls send(value) at most once per `ms`, with the latest value. flush(value) sends at once
// whatever is waiting, or `value` if it differs from what was sent last: the final value of a
// drag always goes out, and only once.
function throttled(ms, send) {
  let timer = null;
  let latest;
  let lastSent;
  let lastSentAt = 0;
  const fire = () => {
    timer = null;
    lastSentAt = performance.now();
    lastSent = latest;
    send(latest);
  };
  return {
    push(value) {
      latest = value;
      if (timer) return;
      const wait = lastSentAt + ms - performance.now();
      if (wait <= 0) fire();
      else timer = setTimeout(fire, wait);
    },
    flush(value) {
      latest = value;
      if (timer) clearTimeout(timer);
      if (timer || value !== lastSent) fire();
      timer = null;
    },
  };
}

// The value this browser last asked for and has not had acknowledged, if any.
function pendingSet(key) {
  let found;
  for (const { event, payload } of room.pending()) {
    if (event === "set" && payload.key === key) found = { value: payload.value };
  }
  return found;
}

function pendingIncr(key) {
  let sum = 0;
  for (const { event, payload } of room.pending()) {
    if (event === "incr" && payload.key === key) sum += payload.by;
  }
  return sum;
}

function bindSlider(el, key, control) {
  const input = el.querySelector("input");
  const output = el.querySelector("output");
  const averaged = control.mode === "average";
  const mean = el.querySelector(".average");
  const sender = throttled(THROTTLE_MS, (v) => room.set(key, v));
  let holding = false;
  const hold = () => { holding = true; };
  // Chromium fires pointerup before change (and sometimes no change at all): whichever comes
  // first ends the drag and sends the final value; the other then finds nothing new to send.
  const release = () => {
    sender.flush(Number(input.value));
    if (holding) {
      holding = false;
      show();
    }
  };
  input.addEventListener("pointerdown", hold);
  input.addEventListener("touchstart", hold, { passive: true });
  input.addEventListener("keydown", hold);
  input.addEventListener("input", () => {
    output.value = input.value;
    sender.push(Number(input.value));
  });
  input.addEventListener("change", release);
  input.addEventListener("pointerup", release);
  input.addEventListener("touchend", release);
  input.addEventListener("keyup", release);
  input.addEventListener("blur", () => { if (holding) release(); });
  function show() {
    if (averaged) {
      const held = room.value(key);
      const ok = held && typeof held.mean === "number" && typeof held.count === "number";
      mean.textContent = ok
        ? t("Room average {mean} from {count}", { mean: number(held.mean), count: held.count })
        : t("No one has moved it yet");
      mean.dataset.mean = ok ? String(held.mean) : "";
      mean.dataset.count = ok ? String(held.count) : "0";
      return; // the slider itself stays where this phone put it
    }
    if (holding) return;
    const mine = pendingSet(key);
    const value = mine ? mine.value : room.value(key);
    if (typeof value === "number") {
      input.value = value;
      output.value = input.value;
    }
  }
  return { show };
}

function bindCounter(el, key) {
  const output = el.querySelector("output");
  for (const button of el.querySelectorAll("button[data-by]")) {
    button.addEventListener("click", () => {
      room.incr(key, Number(button.dataset.by));
      show();
    });
  }
  function show() {
    const base = room.value(key);
    output.value = String((typeof base === "number" ? base : 0) + pendingIncr(key));
  }
  return { show };
}

function bindToggle(el, key) {
  const input = el.querySelector("input");
  input.addEventListener("change", () => room.set(key, input.checked));
  function show() {
    const mine = pendingSet(key);
    const value = mine ? mine.value : room.value(key);
    input.checked = value === true;
  }
  return { show };
}

function bindText(el, key, throttleMs) {
  const input = el.querySelector("input");
  const sender = throttled(throttleMs, (v) => room.set(key, v));
  let editing = false;
  input.addEventListener("focus", () => { editing = true; });
  // A moderated text goes once, when the phone is done with it, not as it is typed.
  if (el.dataset.mode !== "moderated") input.addEventListener("input", () => sender.push(input.value));
  input.addEventListener("change", () => sender.flush(input.value));
  input.addEventListener("blur", () => { editing = false; show(); });
  function show() {
    if (editing) return;
    const mine = pendingSet(key);
    const value = mine ? mine.value : room.value(key);
    if (typeof value === "string") input.value = value;
  }
  return { show };
}

// One control's elements, as the room defines it (no HTML from the definition: text only).
function make(tag, props = {}, children = []) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

function draw(control) {
  const { key, kind } = control;
  const id = `c-${key}`;
  const label = t(control.label);
  const el = make("div", { className: `control control-${kind}` });
  Object.assign(el.dataset, { key, kind, mode: control.mode });
  if (kind === "slider") {
    el.append(make("label", { htmlFor: id }, [`${label} `, make("output", { id: `o-${key}`,
      value: String(control.start) })]));
    el.append(make("input", { id, type: "range", min: control.min, max: control.max,
      step: control.step, value: control.start }));
    if (control.mode === "average") {
      el.append(make("p", { className: "average", id: `a-${key}`, ariaLive: "polite" }));
    }
  } else if (kind === "counter") {
    el.append(make("span", { className: "label", id: `l-${key}`, textContent: label }));
    const group = make("div", { className: "counter", role: "group" }, [
      make("button", { type: "button", textContent: "−1" }),
      make("output", { id, ariaLive: "polite", value: String(control.start) }),
      make("button", { type: "button", textContent: "+1" })]);
    group.setAttribute("aria-labelledby", `l-${key}`);
    group.querySelectorAll("button")[0].dataset.by = "-1";
    group.querySelectorAll("button")[1].dataset.by = "1";
    el.append(group);
  } else if (kind === "toggle") {
    const input = make("input", { id, type: "checkbox", checked: control.start === true });
    input.setAttribute("role", "switch");
    el.append(make("label", { className: "switch", htmlFor: id }, [input,
      make("span", { textContent: label })]));
  } else if (kind === "text") {
    el.append(make("label", { htmlFor: id, textContent: label }));
    el.append(make("input", { id, type: "text", maxLength: control.max_length,
      value: control.start, autocomplete: "off" }));
  } else if (kind === "color") {
    el.append(make("label", { htmlFor: id, textContent: label }));
    el.append(make("input", { id, type: "color", value: control.start }));
  }
  const closed = control.locked || control.mode === "presenter";
  if (closed || control.mode === "moderated" || control.mode === "average") {
    const why = control.locked ? t("Locked by the presenter")
      : control.mode === "presenter" ? t("Only the presenter sets this")
        : control.mode === "moderated" ? t("The presenter approves each text first")
          : t("Each phone counts once: the room sees the average");
    const hint = make("p", { className: "control-hint muted", id: `h-${key}`, textContent: why });
    el.append(hint);
    for (const field of el.querySelectorAll("input, button")) {
      field.setAttribute("aria-describedby", hint.id);
    }
  }
  if (closed) {
    el.classList.add("control-closed");
    for (const field of el.querySelectorAll("input, button")) field.disabled = true;
  }
  return el;
}

let drawn = null; // the definition last drawn, as JSON: redraw only when it changed
function render(list) {
  const defined = Array.isArray(list) ? list : [];
  const text = JSON.stringify(defined);
  if (text === drawn) return;
  drawn = text;
  for (const el of board.querySelectorAll(".control")) el.remove();
  for (const key of [...controls.keys()]) if (key !== "result") controls.delete(key);
  document.getElementById("board-empty").hidden = defined.length > 0;
  for (const control of defined) {
    const el = draw(control);
    board.append(el);
    const { key, kind } = control;
    let binding;
    if (kind === "slider") binding = bindSlider(el, key, control);
    else if (kind === "counter") binding = bindCounter(el, key);
    else if (kind === "toggle") binding = bindToggle(el, key);
    else if (kind === "text") binding = bindText(el, key, TEXT_THROTTLE_MS);
    else if (kind === "color") binding = bindText(el, key, THROTTLE_MS);
    if (binding) {
      controls.set(key, binding);
      binding.show();
    }
  }
}
boardChannel.addEventListener("joined", (e) => render(e.detail.controls));
boardChannel.on("board", (view) => render(view.controls));

// `result`: not a control but what the presenter's code derives from the room and writes back
// (docs/live-coding.md); shown as text, hidden while the room has none.
controls.set("result", {
  show() {
    const value = room.value("result");
    const line = document.getElementById("result");
    line.hidden = value === undefined || value === null;
    document.getElementById("c-result").textContent =
      typeof value === "string" ? value : JSON.stringify(value ?? null);
  },
});

const showAll = () => { for (const binding of controls.values()) binding.show(); };
room.addEventListener("reset", showAll);
room.addEventListener("change", (e) => controls.get(e.detail.key)?.show());
room.addEventListener("acked", (e) => {
  controls.get(e.detail.payload.key)?.show();
  if (e.detail.ack.pending) flash(t("Sent: it shows once the presenter approves it"), "info");
});
room.addEventListener("rejected", (e) => {
  controls.get(e.detail.payload.key)?.show();
  const notice = document.getElementById("notice");
  const reason = serverText(e.detail.error?.message, t("refused by the server"));
  flash(t("Not saved: {reason}", { reason }));
});

function flash(text, kind = "error") {
  const notice = document.getElementById("notice");
  notice.textContent = text;
  notice.dataset.kind = kind;
  notice.hidden = false;
  clearTimeout(notice.timer);
  notice.timer = setTimeout(() => { notice.hidden = true; }, 4000);
}

const presence = document.getElementById("presence");
room.addEventListener("presence", (e) => {
  const n = e.detail.members;
  presence.textContent = t("{count} here", { count: n });
  presence.dataset.members = String(n);
});

const badge = document.getElementById("badge");
room.addEventListener("status", (e) => {
  const { status, transport, rtt } = e.detail;
  badge.className = `badge badge-${status}`;
  badge.dataset.status = status;
  badge.dataset.transport = transport || "";
  if (status === "live") {
    badge.textContent = `${transport}${rtt !== null ? ` · ${rtt} ms` : ""}`;
  } else if (status === "reconnecting") {
    badge.textContent = t("reconnecting…");
  } else {
    badge.textContent = t("connecting…");
  }
});

// Another tab of this browser changed the shared outbox: redraw what it shows as pending.
window.addEventListener("storage", (e) => {
  if (e.key === `chorus.outbox.${roomName}`) showAll();
});

room.start();
