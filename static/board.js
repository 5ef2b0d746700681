// The room page: binds each control of the board to its key in the room (static/chorus.js).
//
// A control shows the server's value, except while you hold it (dragging a slider, typing in
// the text field) or while your own writes to it wait for their ack: then it shows yours, so
// echoes of your older values never pull it back. Once everything is acknowledged it settles on
// the server's value. Sliders send at most ~25 values a second while dragged, and always the last.

import { SyncRoom } from "./chorus.js";
import { serverText, t } from "./i18n.js";

const THROTTLE_MS = 40;
const TEXT_THROTTLE_MS = 250;

const board = document.getElementById("board");
const roomName = board.dataset.room;
const room = new SyncRoom(roomName);
window.chorusRoom = room; // for the console, and for tests that look inside

const controls = new Map(); // key -> control binding

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

function bindSlider(el, key) {
  const input = el.querySelector("input");
  const output = el.querySelector("output");
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
  input.addEventListener("input", () => sender.push(input.value));
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

for (const el of board.querySelectorAll(".control")) {
  const { key, kind } = el.dataset;
  let binding;
  if (kind === "slider") binding = bindSlider(el, key);
  else if (kind === "counter") binding = bindCounter(el, key);
  else if (kind === "toggle") binding = bindToggle(el, key);
  else if (kind === "text") binding = bindText(el, key, TEXT_THROTTLE_MS);
  else if (kind === "color") binding = bindText(el, key, THROTTLE_MS);
  if (binding) controls.set(key, binding);
}

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
room.addEventListener("acked", (e) => controls.get(e.detail.payload.key)?.show());
room.addEventListener("rejected", (e) => {
  controls.get(e.detail.payload.key)?.show();
  const notice = document.getElementById("notice");
  const reason = serverText(e.detail.error?.message, t("refused by the server"));
  notice.textContent = t("Not saved: {reason}", { reason });
  notice.hidden = false;
  setTimeout(() => { notice.hidden = true; }, 4000);
});

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
