// One audience namespace (/poll, /qa or /pulse) of one room, kept joined (docs/audience.md).
//
// The namespaces share the page's one Engine.IO connection with /sync (socket.io-client
// multiplexes namespaces of one address), so they go over websocket or polling together and
// reconnect together. After every (re)connect the channel joins the room again, with the presenter
// token when it has one, and hands the join ack to "joined" listeners: the ack carries the whole
// current view, so whatever changed while the connection was down is simply redrawn.
//
// send(event, payload) resolves with the ack, always an object: a failure the server gave, or
// one made up here in the same shape ({ok: false, error: {code, message}}) when there was no
// answer, so callers handle one kind of result. With {retry: true}, a send that got no answer
// (dropped connection, lost ack) goes again after the next join: only for events that are safe to
// repeat, such as `ask` with its client-chosen id, or an answer that replaces itself.
//
// Events (EventTarget): "joined" {detail: ack}, "refused" {detail: ack} (a join the server turned
// down for good, e.g. a wrong token), "status" {detail: {status}}: connecting, live, reconnecting.

import { clientId } from "./chorus.js";
import { serverText, t } from "./i18n.js";

const ACK_TIMEOUT_MS = 10000;
const REJOIN_AFTER_MS = 1000;

export function failure(code, message, extra = {}) {
  return { ok: false, error: { code, message }, ...extra };
}

// An id of our own for something we send and may have to send again (a question).
export function newId(length = 16) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, (b) => alphabet[b & 63]).join("");
}

export class Channel extends EventTarget {
  constructor(namespace, room, { token = null, join = {}, connect = window.io } = {}) {
    super();
    this.namespace = namespace;
    this.room = room;
    this.token = token;
    this.joinExtra = join; // e.g. {screen: true} on /pulse for a display
    this.joined = false;
    this.joining = false;
    this.status = "connecting";
    this.waiting = []; // sends to make once joined (retries, and sends made before the join)
    // Created here, not in a start(): handlers registered right after still come before any
    // event, since nothing arrives before the current script has run.
    this.socket = connect(namespace, { auth: { client: clientId() } });
    this.socket.on("connect", () => this.join());
    this.socket.on("disconnect", () => this.lost());
    this.socket.on("connect_error", () => this.lost());
  }

  // A server event of this room: payloads name their room, and another room's are ignored.
  on(event, handler) {
    this.socket.on(event, (data) => {
      if (data && data.room === this.room) handler(data);
    });
    return this;
  }

  join() {
    if (!this.socket.connected || this.joining) return;
    this.joining = true;
    this.joined = false;
    const payload = { room: this.room, ...this.joinExtra };
    if (this.token) payload.token = this.token;
    this.socket.timeout(ACK_TIMEOUT_MS).emit("join", payload, (err, ack) => {
      this.joining = false;
      if (!err && ack && ack.ok) {
        this.joined = true;
        this.setStatus("live");
        this.dispatchEvent(new CustomEvent("joined", { detail: ack }));
        const waiting = this.waiting;
        this.waiting = [];
        for (const attempt of waiting) attempt();
        return;
      }
      if (ack?.error?.code === "forbidden" || ack?.error?.code === "bad_request") {
        // Asking again would get the same answer: say so instead of looping.
        this.setStatus("refused");
        this.dispatchEvent(new CustomEvent("refused", { detail: ack }));
        return;
      }
      if (this.socket.connected) setTimeout(() => this.join(), REJOIN_AFTER_MS);
    });
  }

  lost() {
    this.joined = false;
    this.joining = false;
    if (this.status !== "refused") this.setStatus("reconnecting");
  }

  send(event, payload = {}, { retry = false } = {}) {
    const body = { room: this.room, ...payload };
    return new Promise((resolve) => {
      const later = () => this.waiting.push(attempt);
      const attempt = () => {
        if (!this.joined || !this.socket.connected) {
          if (retry) later();
          else resolve(failure("unavailable", "not connected right now: try again in a moment"));
          return;
        }
        this.socket.timeout(ACK_TIMEOUT_MS).emit(event, body, (err, ack) => {
          if (err || !ack) {
            // No answer: the event may or may not have arrived. Only a repeatable one goes again.
            if (!retry) resolve(failure("unavailable", "no answer from the server"));
            else if (this.joined && this.socket.connected) setTimeout(attempt, REJOIN_AFTER_MS);
            else later();
            return;
          }
          const code = ack.error?.code;
          if (!ack.ok && code === "not_joined") {
            // The server lost our join (a restart, another process): join again, then resend.
            later();
            this.joined = false;
            this.join();
            return;
          }
          if (!ack.ok && code === "unavailable" && retry) {
            setTimeout(attempt, REJOIN_AFTER_MS);
            return;
          }
          resolve(ack);
        });
      };
      attempt();
    });
  }

  setStatus(status) {
    this.status = status;
    this.dispatchEvent(new CustomEvent("status", { detail: { status } }));
  }
}

// Short, human words for a refusal, for the notes under each form, in the page's language
// (serverText in static/i18n.js). `what` is a translated noun phrase: t("a question").
export function explain(ack, what = null) {
  const error = ack?.error || {};
  if (error.code === "rate_limited") {
    const seconds = Math.max(1, Math.ceil((ack.retry_after_ms || 1000) / 1000));
    const thing = what ?? t("that");
    return t("Just a moment, please: you can send {what} again in {seconds} s.",
             { what: thing, seconds });
  }
  if (error.code === "unavailable") return t("Not connected right now: try again in a moment.");
  if (error.code === "too_large") return serverText(error.message, t("That is too long."));
  return serverText(error.message, t("The server refused that."));
}

// A visually hidden aria-live region's helper: says one short message at a time. Clearing first
// makes screen readers announce the same text twice in a row, too.
export function announcer(el) {
  let timer = null;
  return (message) => {
    el.textContent = "";
    clearTimeout(timer);
    timer = setTimeout(() => { el.textContent = message; }, 50);
  };
}

// Builds an element. Questions, names, words, options and poll questions are other people's
// text: every view writes them with textContent through this helper, never as HTML.
export function el(tag, { cls, text, attrs } = {}, ...children) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

export const reducedMotion = () => window.matchMedia("(prefers-reduced-motion: reduce)").matches;
