// The presenter screen's and the display's own settings: the dark projector theme, and (with
// the presenter's token) the language of the room's phones (docs/languages.md).
//
// The theme follows the system's prefers-color-scheme until the toggle is pressed; the choice
// is then kept in this browser's localStorage and set as <html data-theme>, which style.css
// reads. The room's language is stored on the server (PUT /api/rooms/<room>/language): pages
// load in it, and open ones follow it at once (static/room-language.js).

import { serverText, t } from "./i18n.js";
import { storage } from "./safe-storage.js";

const THEME_KEY = "chorus.theme";
const root = document.documentElement;
const systemDark = window.matchMedia("(prefers-color-scheme: dark)");
const toggle = document.getElementById("theme-toggle");

function chosenTheme() {
  const stored = storage.getItem(THEME_KEY);
  return stored === "dark" || stored === "light" ? stored : null;
}

function showTheme() {
  const chosen = chosenTheme();
  if (chosen) root.dataset.theme = chosen;
  else delete root.dataset.theme;
  const dark = chosen ? chosen === "dark" : systemDark.matches;
  toggle?.setAttribute("aria-pressed", String(dark));
}

toggle?.addEventListener("click", () => {
  const dark = toggle.getAttribute("aria-pressed") !== "true";
  storage.setItem(THEME_KEY, dark ? "dark" : "light"); // this page only, where refused
  root.dataset.theme = dark ? "dark" : "light";
  toggle.setAttribute("aria-pressed", String(dark));
});
systemDark.addEventListener("change", showTheme);
window.addEventListener("storage", (e) => { if (e.key === THEME_KEY) showTheme(); });
showTheme();

const stage = document.getElementById("present");
const select = document.getElementById("room-language");
const languageNote = document.getElementById("room-language-note");

select?.addEventListener("change", async () => {
  const locale = select.value || null;
  const url = `/api/rooms/${encodeURIComponent(stage.dataset.room)}/language`;
  let reply = null;
  try {
    const response = await fetch(url, {
      method: "PUT",
      headers: { "Content-Type": "application/json",
                 Authorization: `Bearer ${stage.dataset.token}` },
      body: JSON.stringify({ locale }),
    });
    reply = await response.json();
  } catch {
    reply = null;
  }
  if (reply?.ok) {
    languageNote.textContent = locale
      ? t("The room's pages now show {language}.",
          { language: select.selectedOptions[0].textContent })
      : t("Each phone now shows its own language again.");
  } else {
    const reason = reply ? serverText(reply.error?.message, t("refused by the server"))
      : t("no answer from the server");
    languageNote.textContent = t("Not saved: {reason}", { reason });
  }
});
