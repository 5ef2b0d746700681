// Moderation controls shared by the presenter screen (present.js) and the co-host's moderation
// screen (moderate.js): "remove this word" for a word cloud and for shown open answers, and
// Show/Reject for open answers waiting. A removed word leaves the results for everyone, live,
// on every server (/poll remove_word, docs/audience.md); other people's words go in as text.

import { el, explain } from "./audience.js";
import { t } from "./i18n.js";

const MASK = "***";

// The distinct words on screen: a cloud's words, or the words of the shown open answers.
function wordsOf(poll, results) {
  if (poll.kind === "cloud") return results.words.map(([word]) => word);
  if (poll.kind !== "text") return [];
  const seen = new Set();
  for (const answer of results.answers || []) {
    for (const raw of answer.text.split(/\s+/)) {
      const word = raw.toLowerCase().replace(/^[.,;:!?"'()[\]{}]+|[.,;:!?"'()[\]{}]+$/g, "");
      if (word && word !== MASK && !word.includes("*")) seen.add(word);
    }
  }
  return [...seen].sort();
}

// A folded "Remove a word" panel after `anchor`; returns draw(poll, results).
export function wordRemoval(anchor, channel, note) {
  const list = el("ul", { cls: "removable-words", attrs: { id: "removable-words" } });
  const panel = el("details", { cls: "controls word-removal", attrs: { id: "word-removal" } },
    el("summary", { text: t("Remove a word") }), list);
  panel.hidden = true;
  anchor.after(panel);
  return (poll, results) => {
    const words = poll && results ? wordsOf(poll, results) : [];
    panel.hidden = words.length === 0;
    list.replaceChildren(...words.map((word) => {
      const button = el("button", { cls: "secondary small remove-word", text: t("Remove"),
                                    attrs: { type: "button", "data-word": word,
                                             "aria-label": t("Remove the word: {word}", { word }) } });
      button.addEventListener("click", async () => {
        button.disabled = true;
        const ack = await channel.send("remove_word", { poll: poll.id, word });
        if (!ack.ok) {
          button.disabled = false;
          note(explain(ack));
        }
      });
      return el("li", {}, el("span", { cls: "word", text: word }), button);
    }));
  };
}

// The open answers waiting for approval, each with Show and Reject.
export function drawWaiting(list, channel, poll, waiting, note) {
  list.replaceChildren(...waiting.map((answer) => {
    const choices = [[t("Show"), t("Show: {answer}", { answer: answer.text }), true],
                     [t("Reject"), t("Reject: {answer}", { answer: answer.text }), false]];
    const buttons = choices.map(([label, named, shown]) => {
      const button = el("button", { cls: "secondary small", text: label,
                                    attrs: { type: "button", "aria-label": named } });
      button.addEventListener("click", async () => {
        const ack = await channel.send("moderate", { poll: poll.id, id: answer.id, shown });
        if (!ack.ok) note(explain(ack));
      });
      return button;
    });
    return el("li", { attrs: { "data-id": answer.id } }, el("span", { text: answer.text }),
      el("span", { cls: "q-buttons" }, ...buttons));
  }));
}
