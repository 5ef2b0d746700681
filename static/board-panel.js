// The board card of the big screen: the controls the room defines, with their values (from the
// screen's /sync room, static/present.js), live as the definition changes (/board). For the
// presenter also: the JSON editor of the definition (PUT /api/rooms/<room>/board), the texts
// that wait for approval (approve / reject on /board) and a reset button per control.

import "./present.js"; // first: it opens the screen's /sync room (window.chorusScreen)
import { Channel, el } from "./audience.js";
import { number, serverText, t } from "./i18n.js";

const stage = document.getElementById("present");
const room = stage.dataset.room;
const token = stage.dataset.token || null;
const $ = (id) => document.getElementById(id);
const sync = window.chorusScreen.sync;
const channel = new Channel("/board", room, { token });
window.chorusScreen.board = channel; // for tests

const EXAMPLE = { controls: [
  { key: "message", kind: "text", label: "Message", start: "", max_length: 140, mode: "presenter" },
  { key: "mood", kind: "slider", label: "Mood", min: 0, max: 10, start: 5, mode: "average" },
] };
const MODE_NAMES = { open: () => t("open to all"), presenter: () => t("presenter only"),
  moderated: () => t("moderated"), average: () => t("averaged") };
let controls = [];

function note(text) {
  const node = $("board-note");
  if (node) node.textContent = text;
}

function shown(control) {
  const value = sync.value(control.key);
  if (value === undefined || value === null) return "–";
  if (control.mode === "average" && typeof value === "object") {
    return t("average {mean} from {count}", { mean: number(value.mean), count: value.count });
  }
  if (typeof value === "boolean") return value ? t("on") : t("off");
  return typeof value === "string" ? value : JSON.stringify(value);
}

function drawControls() {
  const list = $("board-controls");
  list.replaceChildren(...controls.map((control) => {
    const tags = [MODE_NAMES[control.mode](), control.locked ? t("locked") : null]
      .filter(Boolean).join(", ");
    const row = el("li", { cls: "board-control", attrs: { "data-key": control.key } },
      el("span", { cls: "board-label", text: t(control.label) }),
      el("output", { cls: "board-value", text: shown(control) }),
      el("span", { cls: "pill", text: tags }));
    if (token) {
      const reset = el("button", { cls: "secondary small", text: t("Reset"),
        attrs: { type: "button", "aria-label": t("Reset {label}", { label: t(control.label) }) } });
      reset.addEventListener("click", async () => {
        const ack = await channel.send("reset", { key: control.key });
        note(ack.ok ? t("{label} is back at its start.", { label: t(control.label) })
          : serverText(ack.error?.message, t("refused by the server")));
      });
      row.append(reset);
    }
    return row;
  }));
  $("board-none").hidden = controls.length > 0;
}

function drawPending(pending) {
  const box = $("board-pending-box");
  if (!box) return;
  box.hidden = !pending.length;
  $("board-pending").replaceChildren(...pending.map((held) => {
    const label = controls.find((c) => c.key === held.key)?.label || held.key;
    const row = el("li", { cls: "board-held", attrs: { "data-id": held.id } },
      el("span", { cls: "board-label", text: t(label) }), el("q", { text: held.value }));
    for (const [event, text] of [["approve", t("Approve")], ["reject", t("Reject")]]) {
      const button = el("button", { cls: event === "approve" ? "small" : "secondary small",
        text, attrs: { type: "button", "data-action": event } });
      button.addEventListener("click", async () => {
        button.disabled = true;
        const ack = await channel.send(event, { id: held.id });
        if (!ack.ok) note(serverText(ack.error?.message, t("refused by the server")));
        button.disabled = false;
      });
      row.append(button);
    }
    return row;
  }));
}

function show(view) {
  controls = Array.isArray(view.controls) ? view.controls : [];
  drawControls();
  if (Array.isArray(view.pending)) drawPending(view.pending);
  const editor = $("board-json");
  if (editor && !editor.dataset.touched) {
    editor.value = JSON.stringify(controls.length ? { controls } : EXAMPLE, null, 2);
  }
}

channel.addEventListener("joined", (e) => show(e.detail));
channel.on("board", show);
for (const event of ["change", "reset"]) sync.addEventListener(event, drawControls);

$("board-json")?.addEventListener("input", (e) => { e.target.dataset.touched = "1"; });
$("board-save")?.addEventListener("click", async () => {
  let reply;
  try {
    reply = await fetch(`/api/rooms/${encodeURIComponent(room)}/board`, {
      method: "PUT", body: $("board-json").value, credentials: "same-origin",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    });
  } catch {
    note(t("Not connected right now: try again in a moment."));
    return;
  }
  const answer = await reply.json().catch(() => ({}));
  if (!reply.ok) {
    const error = answer.error || {};
    note(t("The board was not saved: {reason}", { reason: error.message || reply.status }));
    return;
  }
  delete $("board-json").dataset.touched;
  show(answer);
  note(t("Board saved: {count} controls.", { count: answer.controls.length }));
});
