// The benchmark's Node.js reference server: the /sync wire contract of docs/protocol.md, on a
// plain Node http server and a socket.io 4 Server, with every room held in this process's memory.
//
//   node bench/node/server.js --port 5002 [--host 127.0.0.1]
//
// It gives the answers Chorus gives, including Chorus's "Choices where the contract is open", so
// tests/integration run against it unchanged (CHORUS_TEST_TARGET=node). Every change is sent at
// once, to every member of its room, as a batch of that one change; `presence` goes out at once
// whenever a room's count of distinct clients changes. README.md says where socket.io needed help.
"use strict";

const crypto = require("node:crypto");
const http = require("node:http");
const path = require("node:path");
const { performance } = require("node:perf_hooks");
const { Server } = require("socket.io");

// socket.io's own copy of its default parser, socket.io-parser (not a dependency of ours): the
// two classes below extend exactly the parser socket.io would otherwise use.
const parser = require(require.resolve("socket.io-parser", {
  paths: [path.dirname(require.resolve("socket.io"))],
}));

// ---------------------------------------------------------------------------------------------
// Limits: the same as Chorus's defaults (app/sync/payloads.py, app/state/base.py, app/config.py).

const NAME = /^[A-Za-z0-9_-]{1,64}$/; // rooms, client ids and op ids
const KEY = /^[A-Za-z0-9_.-]{1,64}$/;
const MAX_VALUE_BYTES = 4096;
const MAX_BY = 1e9;
const MAX_SAFE_TOTAL = Number.MAX_SAFE_INTEGER; // 2**53 - 1: where browsers stop counting exactly
const MAX_NAME_CHARS = 40;
const MAX_EPOCH_CHARS = 128;
const LOG_SIZE = 1000; // room versions a `since` can reach back
const MAX_KEYS = 256; // live keys per room
const MAX_ROOMS = 10000; // rooms in this process
const MAX_TOMBSTONES = 1024; // deleted keys kept per room
const MAX_ROOMS_PER_CONNECTION = 32;
const OP_TTL_MS = 900 * 1000; // how long an op's answer is remembered
const EVENTS = new Set(["join", "leave", "set", "incr", "delete"]);
const EVENT_LIST = [...EVENTS].sort().join(", ");

// A new epoch at every start: the memory is new, and clients holding older state must know.
const EPOCH = crypto.randomBytes(9).toString("base64url");

function log(message) {
  process.stdout.write(`${new Date().toISOString()} ${message}\n`);
}

// ---------------------------------------------------------------------------------------------
// Refusals: every one becomes {"ok": false, "error": {"code", "message"}, ...extra}.

class Refusal extends Error {
  constructor(code, message, extra) {
    super(message);
    this.code = code;
    this.extra = extra;
  }

  ack() {
    return { ok: false, error: { code: this.code, message: this.message }, ...this.extra };
  }
}

const badRequest = (message) => new Refusal("bad_request", message);
const tooLarge = (message) => new Refusal("too_large", message);

function conflict(current) {
  const version = current ? current.version : 0;
  return new Refusal("conflict", `expected another version: the key is at version ${version}`, {
    current: { value: current && !current.deleted ? current.value : null, version },
  });
}

// ---------------------------------------------------------------------------------------------
// Payload rules (app/sync/payloads.py). A field sent as null counts as absent, except `value`.

function kind(value) {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "boolean") return "a boolean";
  return `a ${typeof value}`;
}

function field(data, name) {
  return Object.hasOwn(data, name) ? data[name] : undefined;
}

// Characters as Python counts them (code points), for the two limits counted in characters.
function chars(text, limit) {
  return text.length <= limit ? text.length : [...text].length;
}

function requireObject(data) {
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw badRequest(`payload must be an object, got ${kind(data)}`);
  }
  return data;
}

function name(data, fieldName, pattern, rule) {
  const text = field(data, fieldName);
  if (text == null) throw badRequest(`${fieldName} is missing`);
  if (typeof text !== "string" || !pattern.test(text)) {
    throw badRequest(`${fieldName} must be ${rule}`);
  }
  return text;
}

const roomName = (data) => name(data, "room", NAME, "1-64 of A-Z a-z 0-9 _ -");
const keyName = (data) => name(data, "key", KEY, "1-64 of A-Z a-z 0-9 _ . -");
const isCount = (value) => Number.isInteger(value) && value >= 0;

function parseJoin(payload) {
  const data = requireObject(payload);
  const room = roomName(data);
  const since = field(data, "since") ?? null;
  if (since !== null && !isCount(since)) throw badRequest("since must be an integer >= 0");
  const epoch = field(data, "epoch") ?? null;
  if (epoch !== null && (typeof epoch !== "string" || chars(epoch, MAX_EPOCH_CHARS) > MAX_EPOCH_CHARS)) {
    throw badRequest(`epoch must be a string of at most ${MAX_EPOCH_CHARS} characters`);
  }
  return { room, since, epoch };
}

function parseWrite(kindOfWrite, payload) {
  const data = requireObject(payload);
  const write = { kind: kindOfWrite, room: roomName(data), key: keyName(data), op: null };
  const op = field(data, "op") ?? null;
  if (op !== null && !(typeof op === "string" && NAME.test(op))) {
    throw badRequest("op must be 1-64 of A-Z a-z 0-9 _ -");
  }
  write.op = op;
  if (kindOfWrite === "set") {
    if (!Object.hasOwn(data, "value")) throw badRequest("set needs a value");
    const expect = field(data, "expect") ?? null;
    if (expect !== null && !isCount(expect)) throw badRequest("expect must be an integer >= 0");
    write.expect = expect;
    write.value = data.value;
    checkValue(write.value);
  } else if (kindOfWrite === "incr") {
    write.by = parseBy(field(data, "by"));
  }
  return write;
}

function parseBy(by) {
  if (typeof by !== "number") throw badRequest(`by must be a number, got ${kind(by)}`);
  if (!Number.isFinite(by) || Math.abs(by) > MAX_BY) {
    throw badRequest("by must be a finite number within +-1e9"); // 1e400 reads as Infinity
  }
  return by;
}

// A value is any JSON of at most 4 KiB as compact UTF-8 JSON. JSON.stringify writes compact JSON
// without escaping non-ASCII; it writes a lone surrogate as \udXXX and Infinity (1e400 in the
// payload) as null, so values whose text holds either are looked through for them.
function checkValue(value) {
  let text;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    if (err instanceof RangeError) throw tooLarge("value is nested too deeply");
    throw err;
  }
  if (text.includes("null") || text.includes("\\ud")) {
    const problem = notJson(value);
    if (problem) throw badRequest(problem);
  }
  if (text.length > MAX_VALUE_BYTES || Buffer.byteLength(text, "utf8") > MAX_VALUE_BYTES) {
    throw tooLarge(`value is over ${MAX_VALUE_BYTES} bytes as compact UTF-8 JSON`);
  }
}

const LONE_SURROGATE = "value holds a string that is not valid Unicode (a lone surrogate)";

function notJson(value) {
  if (typeof value === "number") {
    return Number.isFinite(value) ? null : "value must be JSON: NaN and Infinity are not allowed";
  }
  if (typeof value === "string") return value.isWellFormed() ? null : LONE_SURROGATE;
  if (value === null || typeof value !== "object") return null;
  if (Array.isArray(value)) {
    for (const item of value) {
      const problem = notJson(item);
      if (problem) return problem;
    }
    return null;
  }
  for (const key of Object.keys(value)) {
    if (!key.isWellFormed()) return LONE_SURROGATE;
    const problem = notJson(value[key]);
    if (problem) return problem;
  }
  return null;
}

// Connect `auth`: absent, or an object with an optional `client` and an optional `name`.
function parseAuth(auth) {
  if (auth != null && Object.hasOwn(auth, NOT_AN_OBJECT)) auth = auth[NOT_AN_OBJECT];
  if (auth == null) return { client: null, name: null };
  if (auth === NOT_JSON) throw badRequest("auth must be JSON");
  if (typeof auth !== "object" || Array.isArray(auth)) {
    throw badRequest(`auth must be an object, got ${kind(auth)}`);
  }
  const client = field(auth, "client") ?? null;
  if (client !== null && !(typeof client === "string" && NAME.test(client))) {
    throw badRequest("auth.client must be 1-64 of A-Z a-z 0-9 _ -");
  }
  const displayName = field(auth, "name") ?? null;
  if (displayName !== null &&
      (typeof displayName !== "string" || chars(displayName, MAX_NAME_CHARS) > MAX_NAME_CHARS)) {
    throw badRequest(`auth.name must be a string of at most ${MAX_NAME_CHARS} characters`);
  }
  return { client, name: displayName };
}

// ---------------------------------------------------------------------------------------------
// The rooms (app/state/memory_store.py and app/state/writes.py).
//
// Each key keeps its value, its version, the room version of its last change (`rversion`) and
// whether it is deleted: a deleted key keeps its version, and a `since` gets one entry per key.

class Room {
  constructor() {
    this.version = 0;
    this.floor = 0; // a `since` below this cannot be answered with changes
    this.keyFloor = 0; // highest version among forgotten tombstones
    this.entries = new Map(); // key -> {value, version, rversion, deleted}
    this.live = 0;
    this.dead = 0;
  }
}

const EMPTY_ROOM = new Room();
const rooms = new Map(); // a room exists from its first applied write
const ops = new Map(); // "client op" -> {ack, at}, oldest first

function changeOf(key, entry) {
  return { key, value: entry.deleted ? null : entry.value, version: entry.version,
    deleted: entry.deleted };
}

function changesAfter(room, after) {
  const newer = [];
  for (const [key, entry] of room.entries) {
    if (entry.rversion > after) newer.push([key, entry]);
  }
  newer.sort((a, b) => a[1].rversion - b[1].rversion);
  return newer.map(([key, entry]) => changeOf(key, entry));
}

// The state part of a join ack: `changes` after `since` where every one of them is still held in
// this epoch (`since` without `epoch` means this epoch), the live `values` otherwise.
function joinState(name, since, epoch) {
  const room = rooms.get(name) ?? EMPTY_ROOM;
  const reaches = since !== null && (epoch === null || epoch === EPOCH) &&
    room.floor <= since && since <= room.version && since >= room.version - LOG_SIZE;
  if (reaches) return { epoch: EPOCH, version: room.version, changes: changesAfter(room, since) };
  const values = Object.create(null); // a key may be called __proto__
  for (const [key, entry] of room.entries) {
    if (!entry.deleted) values[key] = { value: entry.value, version: entry.version };
  }
  return { epoch: EPOCH, version: room.version, values };
}

// A key's next entry, null when nothing changes, or a Refusal (app/state/writes.py `plan`).
function plan(write, current, room) {
  const version = current ? current.version : 0;
  const live = current !== undefined && !current.deleted;
  if (write.kind === "delete") {
    return live ? { value: null, version: version + 1, rversion: 0, deleted: true } : null;
  }
  if (write.kind === "set" && write.expect !== null && write.expect !== version) {
    throw conflict(current);
  }
  if (!live && room.live >= MAX_KEYS) throw tooLarge(`a room holds at most ${MAX_KEYS} keys`);
  const next = (current ? version : room.keyFloor) + 1;
  if (write.kind === "set") return { value: write.value, version: next, rversion: 0, deleted: false };
  const base = live ? current.value : 0;
  if (typeof base !== "number") {
    throw badRequest(`incr needs a number, and ${write.key} holds something else`);
  }
  const total = base + write.by;
  if (Math.abs(total) > MAX_SAFE_TOTAL) {
    throw badRequest("the total would leave the range of exact integers (+-2**53)");
  }
  return { value: total, version: next, rversion: 0, deleted: false };
}

// Apply one write: {ack, change} where change is null when nothing changed. Only ok and conflict
// answers are remembered by op; any other refusal is thrown and a retry is tried afresh.
function apply(write, client) {
  const opKey = write.op === null ? null : `${client} ${write.op}`;
  if (opKey !== null) {
    const remembered = ops.get(opKey);
    if (remembered) return { ack: remembered.ack, change: null };
  }
  let result;
  try {
    result = applyRules(write);
  } catch (err) {
    if (!(err instanceof Refusal) || err.code !== "conflict") throw err;
    result = { ack: err.ack(), change: null };
  }
  if (opKey !== null) remember(opKey, result.ack);
  return result;
}

function applyRules(write) {
  let room = rooms.get(write.room);
  if (room === undefined) {
    if (write.kind === "delete") return { ack: { ok: true, version: 0 }, change: null };
    if (rooms.size >= MAX_ROOMS) throw tooLarge(`the store holds at most ${MAX_ROOMS} rooms`);
    room = new Room();
  }
  const current = room.entries.get(write.key);
  const entry = plan(write, current, room);
  if (entry === null) return { ack: { ok: true, version: current ? current.version : 0 }, change: null };
  rooms.set(write.room, room);
  const from = room.version;
  room.version += 1;
  entry.rversion = room.version;
  const wasLive = current !== undefined && !current.deleted;
  const wasDead = current !== undefined && current.deleted;
  room.live += (entry.deleted ? 0 : 1) - (wasLive ? 1 : 0);
  room.dead += (entry.deleted ? 1 : 0) - (wasDead ? 1 : 0);
  room.entries.set(write.key, entry);
  if (room.dead > MAX_TOMBSTONES) forgetOldestTombstone(room);
  const ack = write.kind === "incr"
    ? { ok: true, value: entry.value, version: entry.version }
    : { ok: true, version: entry.version };
  const change = { room: write.room, epoch: EPOCH, from, version: room.version,
    changes: [changeOf(write.key, entry)] };
  return { ack, change };
}

// Past 1,024 deleted keys a room forgets the oldest: a `since` from before it gets the values,
// and a key created afresh continues above its version, so no version goes backwards.
function forgetOldestTombstone(room) {
  let oldest = null;
  for (const [key, entry] of room.entries) {
    if (entry.deleted && (oldest === null || entry.rversion < oldest[1].rversion)) {
      oldest = [key, entry];
    }
  }
  room.entries.delete(oldest[0]);
  room.dead -= 1;
  room.floor = Math.max(room.floor, oldest[1].rversion);
  room.keyFloor = Math.max(room.keyFloor, oldest[1].version);
}

function remember(opKey, ack) {
  const now = performance.now();
  ops.set(opKey, { ack, at: now });
  const horizon = now - OP_TTL_MS;
  for (const [key, { at }] of ops) {
    if (at >= horizon) break;
    ops.delete(key);
  }
}

// ---------------------------------------------------------------------------------------------
// Presence: room -> client id -> ids of its connections there. Two tabs sharing a client id
// count once; every change of a room's count is announced to the room at once.

const presence = new Map();

function arrive(room, client, sid) {
  let clients = presence.get(room);
  if (clients === undefined) presence.set(room, (clients = new Map()));
  let connections = clients.get(client);
  if (connections === undefined) {
    clients.set(client, (connections = new Set()));
    connections.add(sid);
    sync.to(room).emit("presence", { room, members: clients.size });
  } else {
    connections.add(sid);
  }
  return clients.size;
}

function depart(room, client, sid) {
  const clients = presence.get(room);
  const connections = clients?.get(client);
  if (connections === undefined) return;
  connections.delete(sid);
  if (connections.size > 0) return;
  clients.delete(client);
  if (clients.size === 0) {
    presence.delete(room);
  } else {
    sync.to(room).emit("presence", { room, members: clients.size });
  }
}

// ---------------------------------------------------------------------------------------------
// Event handlers: each takes the socket and its one payload, and returns the ack or throws a
// Refusal. socket.data holds {client, name, joined} (set by the namespace middleware).

function join(socket, payload) {
  const request = parseJoin(payload);
  const { room } = request;
  const member = socket.data;
  const fresh = !member.joined.has(room);
  if (fresh && member.joined.size >= MAX_ROOMS_PER_CONNECTION) {
    throw tooLarge(`a connection may join at most ${MAX_ROOMS_PER_CONNECTION} rooms`);
  }
  // Enter the room before reading its state: no batch can fall between the two.
  if (fresh) socket.join(room);
  const state = joinState(room, request.since, request.epoch);
  member.joined.add(room);
  const members = arrive(room, member.client, socket.id);
  return { ok: true, room, ...state, members, client: member.client };
}

function leave(socket, payload) {
  const room = roomName(requireObject(payload));
  const member = socket.data;
  if (member.joined.delete(room)) {
    socket.leave(room);
    depart(room, member.client, socket.id);
  }
  return { ok: true };
}

function write(kindOfWrite) {
  return (socket, payload) => {
    const request = parseWrite(kindOfWrite, payload);
    if (!socket.data.joined.has(request.room)) {
      throw new Refusal("not_joined", `join ${request.room} before writing to it`);
    }
    const { ack, change } = apply(request, socket.data.client);
    if (change !== null) sync.to(request.room).emit("changes", change);
    return ack;
  };
}

// Each of the five events: exactly one payload argument, and every outcome an ack when asked.
function contractHandler(event, handler) {
  return function onEvent(...args) {
    const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
    let answer;
    if (args.length !== 1) {
      answer = badRequest(`${event} takes one payload object, got ${args.length} arguments`).ack();
    } else {
      try {
        answer = handler(this, args[0]);
      } catch (err) {
        if (err instanceof Refusal) {
          answer = err.ack();
        } else {
          log(`/sync ${event} from ${this.id} failed: ${err && err.stack}`);
          answer = new Refusal("unavailable", "the server failed to handle this event").ack();
        }
      }
    }
    if (ack !== null) ack(answer);
  };
}

const HANDLERS = {
  join: contractHandler("join", join),
  leave: contractHandler("leave", leave),
  set: contractHandler("set", write("set")),
  incr: contractHandler("incr", write("incr")),
  delete: contractHandler("delete", write("delete")),
};

function describe(event) {
  if (typeof event === "string" || typeof event === "number") {
    return JSON.stringify(event).slice(0, 70);
  }
  return `of ${kind(event)}`;
}

// Per-socket middleware ahead of every event: names outside the five (connect, disconnect, error,
// newListener...) never reach the socket's EventEmitter; they are answered bad_request if the
// sender asked for an ack and otherwise ignored.
function onlyContractEvents(args, next) {
  const event = args[0];
  if (typeof event === "string" && EVENTS.has(event)) return next();
  const ack = args[args.length - 1];
  if (typeof ack !== "function") return undefined;
  if (event === MALFORMED) return ack(badRequest(args[1]).ack());
  if (typeof event === "function") return ack(badRequest("an event needs a name").ack());
  return ack(badRequest(`unknown event ${describe(event)}; this namespace takes ${EVENT_LIST}`)
    .ack());
}

function onDisconnect() {
  if (this.connected) return; // never a client's event (the middleware above stops those)
  for (const room of this.data.joined) depart(room, this.data.client, this.id);
  this.data.joined.clear();
}

function onSocketError(err) {
  log(`/sync socket ${this.id}: ${err && err.message}`);
}

// ---------------------------------------------------------------------------------------------
// The parser: socket.io-parser's JSON Encoder and Decoder, with the same wire format, and two
// changes the contract needs (see README.md).
//
// 1. Decoding. The default Decoder throws on an event named connect, disconnect, connect_error,
//    disconnecting, newListener or removeListener, on an event whose name is not a string or a
//    number, on a payload that is not JSON (NaN from a Python client), and on a connect whose
//    auth is not an object; socket.io then closes the whole connection. The contract wants an
//    ack for each (bad_request) and a connection that stays usable, and a connect_error for bad
//    auth. So where the default Decoder refuses an EVENT or CONNECT packet, this one decodes it
//    anyway: any non-empty array is an event (its name is checked by onlyContractEvents), any
//    other payload an event named MALFORMED, and auth that is not an object is handed to the
//    namespace middleware wrapped as {[NOT_AN_OBJECT]: auth}.
// 2. Encoding. For `next(err)` in a namespace middleware socket.io 4 always sends
//    CONNECT_ERROR data {message: err.message, data: err.data}; the contract wants exactly
//    {"code", "message"}. A CONNECT_ERROR whose err.data carries a `code` is sent as err.data.

const { PacketType } = parser;
const MALFORMED = Symbol("malformed event packet");
const NOT_AN_OBJECT = Symbol("connect auth that is not an object");
const NOT_JSON = Symbol("not JSON");

function decodeLeniently(str) {
  const type = Number(str.charAt(0));
  if (type !== PacketType.EVENT && type !== PacketType.CONNECT) return null;
  let i = 1;
  let nsp = "/";
  if (str.charAt(1) === "/") {
    const comma = str.indexOf(",", 1);
    const end = comma === -1 ? str.length : comma;
    nsp = str.substring(1, end);
    i = end + 1;
  }
  const digits = /^\d*/.exec(str.substring(i))[0];
  const packet = { type, nsp };
  if (digits) packet.id = Number(digits);
  const body = str.substring(i + digits.length);
  let data;
  try {
    data = body ? JSON.parse(body) : undefined;
  } catch {
    data = NOT_JSON;
  }
  if (type === PacketType.CONNECT) {
    packet.data = { [NOT_AN_OBJECT]: data };
  } else if (data === NOT_JSON) {
    packet.data = [MALFORMED, "the payload is not JSON (NaN and Infinity are not JSON)"];
  } else if (Array.isArray(data) && data.length > 0) {
    packet.data = data;
  } else {
    packet.data = [MALFORMED, "an event is an array holding its name, then its arguments"];
  }
  return packet;
}

class ContractDecoder extends parser.Decoder {
  decodeString(str) {
    try {
      return super.decodeString(str);
    } catch (err) {
      const packet = decodeLeniently(str);
      if (packet === null) throw err;
      return packet;
    }
  }
}

class ContractEncoder extends parser.Encoder {
  encode(packet) {
    if (packet.type === PacketType.CONNECT_ERROR && packet.data?.data?.code !== undefined) {
      return super.encode({ ...packet, data: packet.data.data });
    }
    return super.encode(packet);
  }
}

// ---------------------------------------------------------------------------------------------
// The servers.

function parseArgs(argv) {
  const options = { host: "127.0.0.1", port: null };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === "--host" && value) options.host = value;
    else if (flag === "--port" && /^\d+$/.test(value ?? "") && Number(value) < 65536) {
      options.port = Number(value);
    } else {
      options.port = null;
      break;
    }
  }
  if (options.port === null) {
    process.stderr.write("usage: node bench/node/server.js --port N [--host 127.0.0.1]\n");
    process.exit(2);
  }
  return options;
}

const options = parseArgs(process.argv.slice(2));

const httpServer = http.createServer((req, res) => {
  const url = req.url.split("?", 1)[0];
  const [status, body] = url === "/healthz" && (req.method === "GET" || req.method === "HEAD")
    ? [200, { ok: true }]
    : [404, { ok: false, error: { code: "bad_request", message: `no route ${req.method} ${url}` } }];
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
});

const io = new Server(httpServer, {
  path: "/socket.io",
  transports: ["polling", "websocket"],
  maxHttpBufferSize: 1e6,
  pingInterval: 25000,
  pingTimeout: 20000,
  serveClient: false,
  parser: { Encoder: ContractEncoder, Decoder: ContractDecoder, PacketType },
});

// The main namespace serves nothing: refuse it, so no socket without handlers can exist.
io.use((socket, next) => {
  next(Object.assign(new Error("this server serves the /sync namespace only"), {
    data: { code: "bad_request", message: "this server serves the /sync namespace only" },
  }));
});

const sync = io.of("/sync");

sync.use((socket, next) => {
  try {
    const { client, name } = parseAuth(socket.handshake.auth);
    socket.data.client = client ?? `anon-${crypto.randomBytes(12).toString("base64url")}`;
    socket.data.name = name;
    socket.data.joined = new Set();
    next();
  } catch (err) {
    const refusal = err instanceof Refusal
      ? err : new Refusal("unavailable", "the server failed to handle this connection");
    if (refusal !== err) log(`/sync connect failed: ${err && err.stack}`);
    log(`/sync connection from ${socket.handshake.address} refused: ${refusal.message}`);
    next(Object.assign(new Error(refusal.message),
      { data: { code: refusal.code, message: refusal.message } }));
  }
});

sync.on("connection", (socket) => {
  socket.use(onlyContractEvents);
  for (const [event, handler] of Object.entries(HANDLERS)) socket.on(event, handler);
  socket.on("disconnect", onDisconnect);
  socket.on("error", onSocketError);
});

httpServer.on("error", (err) => {
  log(`cannot listen on ${options.host}:${options.port}: ${err.message}`);
  process.exit(1);
});

httpServer.listen(options.port, options.host, () => {
  log(`socket.io ${require("socket.io/package.json").version} serving /sync on ` +
    `http://${options.host}:${options.port} (epoch ${EPOCH}, node ${process.version})`);
});

function stop(signal) {
  log(`${signal}: stopping`);
  setTimeout(() => process.exit(0), 2000).unref();
  io.close(() => process.exit(0));
}

process.on("SIGTERM", () => stop("SIGTERM"));
process.on("SIGINT", () => stop("SIGINT"));
