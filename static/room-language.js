// The room's language, live: when the presenter chooses one (docs/languages.md), the server
// sends `language` on /pulse to the room's open pages. A page whose language was not chosen by
// its own switch reloads in the new one, unless someone is typing on it: then it says so and
// the next load brings the language.

import { t } from "./i18n.js";

const root = document.documentElement;

function typing(scope) {
  return [...scope.querySelectorAll("textarea, input[type=text], input:not([type])")]
    .some((field) => field.value.trim() !== "");
}

/** Follow the room's language on `channel` (a /pulse Channel); `scope` holds the fields whose
 * text a reload would lose; `tell(text)` shows a note when the page waits. */
export function followRoomLanguage(channel, { scope = document, tell = () => {} } = {}) {
  channel.on("language", ({ locale }) => {
    const source = root.dataset.localeSource;
    if (source === "switch") return; // this browser chose its language itself
    if (locale ? locale === root.lang : source !== "room") return; // nothing would change
    if (typing(scope)) {
      tell(t("The presenter changed the room's language: it shows from the next page load."));
      return;
    }
    window.location.reload();
  });
}
