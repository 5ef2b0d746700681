// Chorus's browser client for the /sync namespace (docs/protocol.md): one room, kept in step.
//
// It joins with `since` and `epoch` after every (re)connect, applies a change only when its
// version is above the one it holds, rejoins when a batch's `from` shows a gap, and replaces its
// state when the epoch changed. Every write carries a random `op` id and waits in an outbox kept
// in localStorage until it is acknowledged, so a write survives a dropped connection and a page
// reload, and the server's op memory makes sure a retry is applied once.
//
// Events (EventTarget): "change" {key, value, deleted, version}, "reset" (state replaced),
// "presence" {members}, "status" {status, transport, rtt}, "rejected" {event, payload, error}.

import { storage as pageStorage } from "./safe-storage.js";

const CLIENT_KEY = "chorus.client";
const MAX_VALUE_BYTES = 4096; // the contract's limit on a value, as compact UTF-8 JSON
const jsonBytes = (value) => new TextEncoder().encode(JSON.stringify(value) ?? "").length;
const ACK_TIMEOUT_MS = 10000;
const PROBE_EVERY_MS = 10000;

function randomId(length = 16) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, (b) => alphabet[b & 63]).join("");
}

// A stable id for this browser: op idempotency and presence count it once, across tabs too.
export function clientId(storage = pageStorage) {
  let id = storage.getItem(CLIENT_KEY);
  if (!id || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) {
    id = randomId();
    storage.setItem(CLIENT_KEY, id);
  }
  return id;
}

// The writes of this browser for one room that are not acknowledged yet, in send order.
// Shared by the tabs of the browser: each change is read-modify-write of the stored list, and a
// tab may resend another tab's entry, which the server's op memory answers without applying.
class Outbox {
  constructor(room, storage) {
    this.key = `chorus.outbox.${room}`;
    this.storage = storage;
  }
  entries() {
    try {
      const list = JSON.parse(this.storage.getItem(this.key) || "[]");
      return Array.isArray(list) ? list : [];
    } catch {
      return [];
    }
  }
  save(list) {
    if (list.length) this.storage.setItem(this.key, JSON.stringify(list));
    else this.storage.removeItem(this.key);
  }
  add(entry) {
    let list = this.entries();
    if (entry.event === "set" && entry.payload.expect === undefined) {
      // A newer plain set of a key supersedes the older ones still waiting: only the last
      // value matters, and dropping a set that may already be applied changes nothing.
      list = list.filter((e) => !(e.event === "set" && e.payload.key === entry.payload.key &&
                                  e.payload.expect === undefined));
    }
    list.push(entry);
    this.save(list);
  }
  remove(op) {
    this.save(this.entries().filter((e) => e.payload.op !== op));
  }
  has(op) {
    return this.entries().some((e) => e.payload.op === op);
  }
}

export class SyncRoom extends EventTarget {
  constructor(room, { name, token = null, storage = pageStorage, connect = window.io } = {}) {
    super();
    this.room = room;
    this.token = token; // the presenter token: writes then count as the presenter's
    this.client = clientId(storage);
    this.name = name;
    this.outbox = new Outbox(room, storage);
    this.connectFn = connect;
    this.state = new Map(); // key -> {value, version, deleted}
    this.epoch = null;
    this.version = 0;
    this.members = 0;
    this.joined = false;
    this.early = []; // batches that arrived before the join ack
    this.inflight = new Set(); // ops sent on the current connection, waiting for their ack
    this.rtt = null;
    this.status = "connecting";
    this.joining = false;
  }

  start() {
    const auth = { client: this.client };
    if (this.name) auth.name = this.name;
    this.socket = this.connectFn("/sync", { auth });
    this.socket.on("connect", () => this.join());
    this.socket.on("disconnect", () => this.lost());
    this.socket.on("connect_error", () => this.lost());
    this.socket.on("changes", (batch) => this.onBatch(batch));
    this.socket.on("presence", (p) => {
      if (p && p.room === this.room) this.setMembers(p.members);
    });
    this.socket.io.on("reconnect_attempt", () => this.setStatus("reconnecting"));
    this.socket.io.on("open", () => {
      this.socket.io.engine.on("upgrade", () => this.setStatus(this.status));
    });
    this.probeTimer = setInterval(() => this.probe(), PROBE_EVERY_MS);
    return this;
  }

  get transport() {
    return this.socket?.io?.engine?.transport?.name || null;
  }

  // The value the server holds for a key (undefined when absent or deleted).
  value(key) {
    const held = this.state.get(key);
    return held && !held.deleted ? held.value : undefined;
  }

  // Writes: each returns the op id; the write is kept until the server acknowledges it.
  set(key, value, expect) {
    const payload = { room: this.room, key, value };
    if (expect !== undefined) payload.expect = expect;
    return this.write("set", payload);
  }
  incr(key, by = 1) {
    return this.write("incr", { room: this.room, key, by });
  }
  delete(key) {
    return this.write("delete", { room: this.room, key });
  }

  // Writes still waiting for an ack, as {event, payload}; the board shows them optimistically.
  pending() {
    return this.outbox.entries();
  }

  write(event, payload) {
    const entry = { event, payload: { ...payload, op: randomId(20) } };
    if ("value" in payload && jsonBytes(payload.value) > MAX_VALUE_BYTES) {
      // Refused here, not queued: the server would answer too_large (or, past its websocket
      // message cap, close the connection), and a queued write would be sent again forever.
      queueMicrotask(() => this.onAck(entry, { ok: false, error: {
        code: "too_large", message: `value is over ${MAX_VALUE_BYTES} bytes as JSON` } }));
      return entry.payload.op;
    }
    this.outbox.add(entry);
    this.send(entry);
    return entry.payload.op;
  }

  send(entry) {
    const op = entry.payload.op;
    if (!this.joined || !this.socket.connected || this.inflight.has(op)) return;
    this.inflight.add(op);
    const sentAt = performance.now();
    this.socket.timeout(ACK_TIMEOUT_MS).emit(entry.event, entry.payload, (err, ack) => {
      this.inflight.delete(op);
      if (err) return; // no answer: the entry stays and goes again after the next join
      this.measured(sentAt);
      this.onAck(entry, ack);
    });
  }

  onAck(entry, ack) {
    const { event, payload } = entry;
    if (ack && ack.ok) {
      this.outbox.remove(payload.op);
      // A held text (`pending`) changed nothing yet; an averaged key answers with what it now
      // holds (`value`: the mean and count), not what was sent.
      if (ack.pending) {
        // held for the presenter: the key keeps its value until it is approved
      } else if (event === "set") {
        const value = "value" in ack ? ack.value : payload.value;
        this.apply({ key: payload.key, value, version: ack.version, deleted: false });
      } else if (event === "incr") this.apply({ key: payload.key, value: ack.value,
                                              version: ack.version, deleted: false });
      else if (event === "delete") this.apply({ key: payload.key, value: null,
                                                version: ack.version, deleted: true });
      this.dispatchEvent(new CustomEvent("acked", { detail: { event, payload, ack } }));
      return;
    }
    const code = ack?.error?.code;
    if (code === "unavailable" || code === "rate_limited") {
      // The server could not take it now; the same op is tried again a little later.
      const wait = Math.max(ack.retry_after_ms || 0, 500);
      setTimeout(() => this.outbox.has(payload.op) && this.send(entry), wait);
      return;
    }
    if (code === "not_joined") {
      this.join();
      return;
    }
    this.outbox.remove(payload.op);
    if (code === "conflict" && ack.current) {
      this.apply({ key: payload.key, value: ack.current.value, version: ack.current.version,
                   deleted: false });
    }
    this.dispatchEvent(new CustomEvent("rejected", { detail: { event, payload, error: ack?.error } }));
  }

  // Join, or rejoin to catch up (after a reconnect, a gap, another epoch). A `probe` rejoins
  // while staying joined, so writes keep flowing during it.
  join({ probe = false } = {}) {
    if (!this.socket.connected || this.joining) return;
    this.joining = true;
    if (!probe) {
      this.joined = false;
      this.inflight.clear();
    }
    const payload = { room: this.room };
    if (this.token) payload.token = this.token;
    if (this.epoch) {
      payload.since = this.version;
      payload.epoch = this.epoch;
    }
    const sentAt = performance.now();
    this.socket.timeout(ACK_TIMEOUT_MS).emit("join", payload, (err, ack) => {
      this.joining = false;
      if (err || !ack || !ack.ok) {
        if (this.socket.connected) setTimeout(() => this.join(), 1000);
        return;
      }
      this.measured(sentAt);
      this.joined = true;
      this.onJoined(ack);
      for (const entry of this.outbox.entries()) this.send(entry);
    });
  }

  onJoined(ack) {
    this.lastJoin = ack.values ? "values" : "changes"; // how the last (re)join caught up
    if (ack.epoch !== this.epoch || ack.values) {
      this.epoch = ack.epoch;
      this.state = new Map();
      for (const [key, held] of Object.entries(ack.values || {})) {
        this.state.set(key, { value: held.value, version: held.version, deleted: false });
      }
      this.version = ack.version;
      this.dispatchEvent(new Event("reset"));
    }
    for (const change of ack.changes || []) this.apply(change);
    this.version = Math.max(this.version, ack.version);
    this.setMembers(ack.members);
    const early = this.early;
    this.early = [];
    for (const batch of early) this.onBatch(batch);
    this.setStatus("live");
  }

  onBatch(batch) {
    if (!batch || batch.room !== this.room) return;
    if (!this.joined) {
      this.early.push(batch);
      return;
    }
    if (batch.epoch !== this.epoch || batch.from > this.version) {
      // Another epoch, or a batch we missed: ask for what we lack rather than guess.
      this.join();
      return;
    }
    for (const change of batch.changes) this.apply(change);
    this.version = Math.max(this.version, batch.version);
  }

  apply(change) {
    const held = this.state.get(change.key);
    if (held && held.version >= change.version) return;
    this.state.set(change.key, { value: change.deleted ? null : change.value,
                                 version: change.version, deleted: !!change.deleted });
    this.dispatchEvent(new CustomEvent("change", { detail: change }));
  }

  // A light round trip while idle: rejoining with `since` costs the server one read, and it
  // doubles as a check that nothing was missed.
  probe() {
    if (this.joined && this.socket.connected && document.visibilityState !== "hidden") {
      this.join({ probe: true });
    }
  }

  measured(sentAt) {
    this.rtt = Math.round(performance.now() - sentAt);
    this.setStatus(this.status);
  }

  lost() {
    this.joined = false;
    this.joining = false;
    this.inflight.clear();
    this.setStatus("reconnecting");
  }

  setMembers(members) {
    if (typeof members !== "number" || members === this.members) return;
    this.members = members;
    this.dispatchEvent(new CustomEvent("presence", { detail: { members } }));
  }

  setStatus(status) {
    this.status = status;
    this.dispatchEvent(new CustomEvent("status", {
      detail: { status, transport: this.transport, rtt: this.rtt },
    }));
  }
}
