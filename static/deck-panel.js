// The presenter's deck: the talk's questions prepared in order (docs/audience.md, "Prepared
// decks"), built here or imported from a JSON file, saved with the room, exported again, and
// launched one by one with "next" (a button, or the clicker's keys, static/clicker.js).
//
// The list drawn is the draft being edited; it follows the saved deck the server sends until
// the presenter changes something, and again once that is saved.

import { el } from "./audience.js";
import { KIND_NAMES } from "./poll-view.js";
import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const WITH_OPTIONS = new Set(["choice", "ranking", "quiz"]);

export class DeckPanel {
  constructor(room, token, next) {
    this.base = `/api/rooms/${encodeURIComponent(room)}`;
    this.token = token;
    this.draft = [];
    this.title = "";
    this.dirty = false;
    this.status = null;
    $("deck-next").addEventListener("click", next);
    // Downloads under the presenter path: the presenter cookie goes along, no URL holds the
    // token (docs/security.md).
    const links = `/present/${encodeURIComponent(room)}`;
    $("deck-export").href = `${links}/deck`;
    for (const [id, path] of [["qa-csv", "questions.csv"], ["qa-json", "questions.json"],
                              ["quiz-csv", "quiz.csv"], ["quiz-json", "quiz.json"]]) {
      $(id).href = `${links}/${path}`;
    }
    const form = $("deck-form");
    form.elements.kind.addEventListener("change", () => this.showFields());
    this.showFields();
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.add();
    });
    $("deck-save").addEventListener("click", () => this.save({ version: 1, title: this.title,
                                                               items: this.draft }));
    $("deck-file").addEventListener("change", () => this.importFile());
  }

  showFields() {
    const kind = $("deck-form").elements.kind.value;
    $("deck-options-field").hidden = !WITH_OPTIONS.has(kind);
    $("deck-quiz-fields").hidden = kind !== "quiz";
  }

  /** The deck as the server has it (`D` in docs/audience.md). */
  setStatus(status) {
    if (!status) return;
    this.status = status;
    if (!this.dirty) {
      this.draft = status.items;
      this.title = status.title;
    }
    this.draw();
  }

  draw() {
    const launched = this.status?.launched ?? 0;
    const count = this.status?.count ?? 0;
    const upcoming = this.status?.next;
    $("deck-status").textContent = !count ? t("No deck yet: prepare one below, or import a file.")
      : upcoming ? t("{launched} of {count} launched. Next: {question}",
                     { launched, count, question: upcoming.question })
        : t("All {count} launched: the next press shows the final leaderboard.", { count });
    $("deck-next").disabled = !count;
    $("deck-save").disabled = !this.dirty;
    $("deck-items").replaceChildren(...this.draft.map((item, n) => this.row(item, n, launched)));
    $("deck-empty").hidden = this.draft.length > 0;
  }

  row(item, n, launched) {
    const buttons = [
      ["▲", t("Move up: {question}", { question: item.question }), () => this.move(n, -1),
       n === 0],
      ["▼", t("Move down: {question}", { question: item.question }), () => this.move(n, 1),
       n === this.draft.length - 1],
      ["✕", t("Remove: {question}", { question: item.question }), () => this.remove(n), false],
    ].map(([text, label, action, disabled]) => {
      const button = el("button", { cls: "secondary small", text,
                                    attrs: { type: "button", "aria-label": label, disabled } });
      button.addEventListener("click", action);
      return button;
    });
    const done = !this.dirty && n < launched;
    return el("li", { cls: done ? "deck-item done" : "deck-item",
                      attrs: { "data-kind": item.kind } },
      el("span", { cls: "eyebrow", text: KIND_NAMES[item.kind] }),
      el("span", { cls: "deck-question", text: item.question }),
      done ? el("span", { cls: "pill pill-closed", text: t("Launched") }) : null,
      el("span", { cls: "deck-moves" }, ...buttons));
  }

  add() {
    const form = $("deck-form");
    const kind = form.elements.kind.value;
    const item = { kind, question: $("deck-question").value.trim() };
    if (WITH_OPTIONS.has(kind)) {
      item.options = $("deck-options").value.split("\n").map((o) => o.trim()).filter(Boolean);
    }
    if (kind === "quiz") {
      item.correct = Number($("deck-correct").value) - 1;
      item.seconds = Number($("deck-seconds").value);
    }
    this.draft = [...this.draft, item];
    this.dirty = true;
    form.reset();
    this.showFields();
    this.draw();
    this.note(t("Added. Save the deck to keep it."));
  }

  move(n, step) {
    const items = [...this.draft];
    [items[n], items[n + step]] = [items[n + step], items[n]];
    this.draft = items;
    this.dirty = true;
    this.draw();
  }

  remove(n) {
    this.draft = this.draft.filter((_, i) => i !== n);
    this.dirty = true;
    this.draw();
  }

  async importFile() {
    const file = $("deck-file").files[0];
    if (!file) return;
    await this.save(await file.text());
    $("deck-file").value = "";
  }

  /** PUT a deck (an object, or a file's text as it is): the server checks it. */
  async save(deck) {
    const body = typeof deck === "string" ? deck : JSON.stringify(deck);
    let reply;
    try {
      reply = await fetch(`${this.base}/deck`, {
        method: "PUT", body, credentials: "same-origin",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${this.token}` },
      });
    } catch {
      this.note(t("Not connected right now: try again in a moment."));
      return;
    }
    const answer = await reply.json().catch(() => ({}));
    if (!reply.ok) {
      const error = answer.error || {};
      this.note(t("The deck was not saved: {reason}", { reason: error.message || reply.status }));
      return;
    }
    this.dirty = false;
    this.draft = answer.deck.items;
    this.title = answer.deck.title;
    this.status = { ...(this.status || {}), items: this.draft, count: this.draft.length,
                    launched: 0, next: this.draft[0] ?? null, title: this.title };
    this.draw();
    this.note(t("Deck saved: {count} questions.", { count: this.draft.length }));
  }

  note(text) {
    $("deck-note").textContent = text;
  }
}
