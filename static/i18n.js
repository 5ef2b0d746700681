// The page scripts' messages, from the same gettext catalogue as the server's
// (app/translations/<locale>/LC_MESSAGES/messages.po; docs/languages.md).
//
// Message ids are the English text: t("Poll closed") gives the page's language, or the id
// itself when the catalogue has no translation (English needs no catalogue at all). Values go
// in by name: t("{count} connected", { count: 3 }). The catalogue is fetched once per page
// from the address in <html data-catalogue> (cacheable), before any module that imports this
// one runs; a failed fetch leaves the page in English rather than broken.

const root = document.documentElement;
export const locale = root.lang || "en";

async function load(url) {
  if (!url) return {};
  try {
    const response = await fetch(url, { credentials: "same-origin" });
    return response.ok ? await response.json() : {};
  } catch {
    return {};
  }
}

const messages = await load(root.dataset.catalogue);

/** The message in the page's language, with {name} placeholders filled from `params`. */
export function t(message, params = {}) {
  const text = Object.hasOwn(messages, message) ? messages[message] : message;
  return text.replace(/\{(\w+)\}/g, (whole, name) =>
    Object.hasOwn(params, name) ? String(params[name]) : whole);
}

/** A refusal's message from the server, in the page's language: the server writes English, and
 * its fixed messages are in the catalogue; one with values in it (a number, a name) is not, and
 * a page in another language shows `fallback` rather than English. */
export function serverText(message, fallback) {
  if (!message) return fallback;
  if (locale === "en" || Object.hasOwn(messages, message)) return t(message);
  return fallback;
}

/** A number written the page's way (1.234 in German). */
export function number(value) {
  return new Intl.NumberFormat(locale).format(value);
}
