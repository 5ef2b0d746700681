// The load generator: many real Socket.IO clients (socket.io-client, the browser's library) in
// one Node.js process, speaking the /sync contract. bench/run.py starts it once per scenario and
// reads one JSON line of figures from its stdout.
//
//   node bench/loadgen/loadgen.js --url http://127.0.0.1:5000 --scenario conn --clients 1000
//   scenarios: conn (connect+join N, hold, one change reaches all), fanout (C clients, R changes
//   a second for a while: delivery latency), converge (N clients x M incr: throughput, exact
//   total), with --transport websocket|polling.
"use strict";

const http = require("http");
const { io } = require("socket.io-client");

function parseArgs(argv) {
  const args = {
    url: "http://127.0.0.1:5000", scenario: "conn", clients: 100, transport: "websocket",
    hold: 30, rate: 100, seconds: 10, each: 50, room: "bench", concurrency: 200, timeout: 120,
    keepalive: 1, part: 0, parts: 1, deadline: 180, localAddress: "", sticky: 0,
  };
  for (let i = 2; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, "");
    const value = argv[i + 1];
    args[key] = /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  }
  return args;
}

const args = parseArgs(process.argv);
let joinRetries = 0; // joins answered unavailable or rate_limited and tried again
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => Number(process.hrtime.bigint()) / 1e6; // ms, monotonic
const wall = () => Date.now() + (Number(process.hrtime.bigint() % 1000000n) / 1e6);

// The measured phase of a scenario: bench/run.py reads these markers from stderr to take the
// server's CPU time over exactly this span, and the load generator's own CPU is taken here too.
let phaseCpu = null;
let phaseStarted = 0;
function phase(name) {
  if (name === "start") {
    phaseCpu = process.cpuUsage();
    phaseStarted = now();
  } else {
    const cpu = process.cpuUsage(phaseCpu);
    phaseCpu = ((cpu.user + cpu.system) / 1000 / (now() - phaseStarted)) * 100;
  }
  process.stderr.write(JSON.stringify({ phase: name, at: Date.now() }) + "\n");
}

function percentile(sorted, p) {
  if (!sorted.length) return null;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)];
}

// One client: connects, joins, keeps the latest value of each key, records batch arrivals.
class Client {
  constructor(id) {
    this.id = id;
    this.values = new Map();
    this.received = 0;
    this.latencies = null; // set to an array to record send->receive latencies
    this.disconnects = 0;
    this.onChange = null;
  }

  connect() {
    return new Promise((resolve, reject) => {
      const socket = io(`${args.url}/sync`, {
        transports: [args.transport], reconnection: false, forceNew: true,
        auth: { client: `b${process.pid}x${this.id}` }, timeout: 60000,
        // Over polling, each client keeps its HTTP connections open between requests, as a
        // browser does (Node's client opens a new one per request unless given an agent).
        // --keepalive 0 measures the other case.
        agent: args.transport === "polling" && args.keepalive
          ? new http.Agent({ keepAlive: true, maxSockets: 2, localAddress: args.localAddress || undefined })
          : false,
        // --localAddress 127.0.0.x: the source address (~28,000 ports per address and server)
        ...(args.localAddress ? { localAddress: args.localAddress } : {}),
        // --sticky 1: the cookie a Chorus page gives a browser, which Nginx's sticky upstream
        // hashes on (without it, every client from one address lands on one instance)
        ...(args.sticky ? { extraHeaders: { Cookie: `chorus_sticky=b${process.pid}x${this.id}` } } : {}),
      });
      this.socket = socket;
      const fail = (err) => reject(err);
      socket.once("connect_error", fail);
      socket.once("connect", () => {
        socket.off("connect_error", fail);
        // `unavailable` and `rate_limited` are worth retrying (the contract's retryable
        // errors), as the browser client does: a join refused during a storm of connections
        // is tried again after retry_after_ms (or half a second), up to 20 times.
        let tries = 0;
        const join = () => socket.timeout(60000).emit("join", { room: args.room }, (err, ack) => {
          const code = ack && !ack.ok && ack.error && ack.error.code;
          if (!err && (code === "unavailable" || code === "rate_limited") && tries < 20) {
            tries += 1;
            joinRetries += 1;
            return setTimeout(join, (ack.error.retry_after_ms || 500) * (0.5 + Math.random()));
          }
          if (err || !ack || !ack.ok) return reject(err || new Error(JSON.stringify(ack)));
          for (const [key, held] of Object.entries(ack.values || {})) {
            this.values.set(key, held.value);
          }
          resolve(ack);
        });
        join();
      });
      socket.on("disconnect", () => { this.disconnects += 1; });
      socket.on("changes", (batch) => {
        this.received += 1;
        const at = wall();
        for (const change of batch.changes) {
          this.values.set(change.key, change.value);
          if (this.latencies && change.value && typeof change.value.t === "number") {
            this.latencies.push(at - change.value.t);
          }
          if (this.onChange) this.onChange(change);
        }
      });
    });
  }

  send(event, payload) {
    return new Promise((resolve) => {
      this.socket.timeout(args.timeout * 1000).emit(event, { room: args.room, ...payload },
        (err, ack) => resolve(err ? { ok: false, error: { code: "timeout" } } : ack));
    });
  }

  close() {
    this.socket.close();
  }
}

// Connects `count` clients, `concurrency` at a time; starts no new one after `deadline` seconds
// (a server that slows down with every join must not keep the run going for an hour).
async function connectAll(count) {
  const clients = [];
  const started = now();
  const giveUp = started + args.deadline * 1000;
  let next = 0;
  let failed = 0;
  const reasons = {}; // why connections failed, counted by message
  async function worker() {
    while (next < count && now() < giveUp) {
      const client = new Client(next++);
      try {
        await client.connect();
        clients.push(client);
      } catch (err) {
        failed += 1;
        const reason = String((err && (err.description && err.description.message || err.message)) || err).slice(0, 80);
        reasons[reason] = (reasons[reason] || 0) + 1;
        try { client.socket.close(); } catch (ignored) { /* already closed */ }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(args.concurrency, count) }, worker));
  const unfinished = count - next;
  if (failed) process.stderr.write(JSON.stringify({ failures: reasons }) + "\n");
  return { clients, failed, unfinished, failures: reasons,
           seconds: unfinished ? null : (now() - started) / 1000 };
}

// Resolves when every client holds `value` for `key`; returns the time taken in ms.
function waitAll(clients, key, predicate, timeoutMs) {
  const started = now();
  return new Promise((resolve) => {
    let pending = clients.filter((c) => !predicate(c.values.get(key))).length;
    if (pending === 0) return resolve(0);
    const timer = setTimeout(() => resolve(null), timeoutMs);
    for (const client of clients) {
      if (predicate(client.values.get(key))) continue;
      client.onChange = (change) => {
        if (change.key === key && predicate(change.value)) {
          client.onChange = null;
          pending -= 1;
          if (pending === 0) {
            clearTimeout(timer);
            resolve(now() - started);
          }
        }
      };
    }
  });
}

// With --parts P the clients are spread over P processes (a process may open only so many
// sockets); each says {"ready": true} once its share is connected and holds from a line on
// stdin, so that bench/run.py reads the server's memory with every client in. Part 0 sends the
// change; every part times its arrival from the send time the value carries.
async function scenarioConn() {
  const share = Math.floor(args.clients / args.parts) +
    (args.part < args.clients % args.parts ? 1 : 0);
  phase("start");
  const { clients, failed, unfinished, seconds, failures } = await connectAll(share);
  phase("end");
  if (args.parts > 1) {
    process.stderr.write(JSON.stringify({ ready: true }) + "\n");
    await goSignal();
  } else {
    process.stderr.write(JSON.stringify({ connected: clients.length }) + "\n");
  }
  const joined = clients.length;
  if (unfinished) { // gave up: no hold, no change, only how far it got
    clients.forEach((c) => c.close());
    return { connect_join_s: `>${args.deadline}`, joined, failed, unfinished };
  }
  await sleep(args.hold * 1000); // through at least one ping cycle
  const alive = clients.filter((c) => c.socket.connected && c.disconnects === 0).length;
  const marker = `m-${args.room}`;
  let last = null;
  const seen = waitAll(clients, "probe", (v) => {
    if (v && v.m === marker) last = Math.max(last || 0, wall() - v.t);
    return v && v.m === marker;
  }, 60000);
  if (args.part === 0) {
    await clients[0].send("set", { key: "probe", value: { m: marker, t: wall() } });
  }
  const reached = await seen;
  clients.forEach((c) => c.close());
  return { connect_join_s: seconds, joined, failed, failures, alive_after_hold: alive,
           dropped: joined - alive, change_reach_all_ms: reached === null ? null : last };
}

// With --parts P the fanout's receivers are spread over P processes (this one is --part k),
// so that one Node.js process parsing every delivery is not what is measured. Part 0 also
// runs the writer. Each part says {"ready": true} on stderr once connected and starts on a
// line on stdin; bench/run.py merges the parts' latency histograms.
function goSignal() {
  return new Promise((resolve) => process.stdin.once("data", () => resolve()));
}

async function scenarioFanout() {
  const share = Math.floor(args.clients / args.parts) +
    (args.part < args.clients % args.parts ? 1 : 0);
  const { clients, failed, seconds } = await connectAll(share);
  for (const client of clients) client.latencies = [];
  let writer = null;
  if (args.part === 0) {
    writer = new Client(args.clients + 1);
    await writer.connect();
  }
  if (args.parts > 1) {
    process.stderr.write(JSON.stringify({ ready: true }) + "\n");
    await goSignal();
  }
  const interval = 1000 / args.rate;
  const total = Math.round(args.rate * args.seconds);
  const last = total - 1;
  phase("start");
  const started = now();
  const acks = [];
  if (writer) {
    for (let i = 0; i < total; i += 1) {
      const due = started + i * interval;
      const wait = due - now();
      if (wait > 0) await sleep(wait);
      acks.push(writer.send("set", { key: "tick", value: { t: wall(), i } }));
    }
  }
  const answered = await Promise.all(acks);
  const patience = 30000 + (writer ? 0 : args.seconds * 1000); // the other parts wait from the start
  await waitAll(clients, "tick", (v) => v && v.i === last, patience);
  phase("end");
  const latencies = clients.flatMap((c) => c.latencies).sort((a, b) => a - b);
  const histogram = {}; // 0.1 ms bins, for merging the parts
  for (const ms of latencies) {
    const bin = Math.max(0, Math.round(ms * 10));
    histogram[bin] = (histogram[bin] || 0) + 1;
  }
  const batches = clients.reduce((sum, c) => sum + c.received, 0);
  clients.forEach((c) => c.close());
  if (writer) writer.close();
  return {
    clients: clients.length, failed, connect_join_s: seconds, sent: writer ? total : 0,
    acked_ok: answered.filter((a) => a && a.ok).length, batches_received: batches,
    latency_p50_ms: percentile(latencies, 50), latency_p99_ms: percentile(latencies, 99),
    latency_histogram_01ms: histogram, duration_s: (now() - started) / 1000,
  };
}

async function scenarioConverge() {
  const { clients, failed, seconds } = await connectAll(args.clients);
  phase("start");
  const started = now();
  const sends = [];
  for (const client of clients) {
    for (let i = 0; i < args.each; i += 1) sends.push(client.send("incr", { key: "total", by: 1 }));
  }
  const answered = await Promise.all(sends);
  const elapsed = (now() - started) / 1000;
  phase("end");
  const ok = answered.filter((a) => a && a.ok).length;
  const expected = clients.length * args.each;
  const reach = await waitAll(clients, "total", (v) => v === expected, 30000);
  const check = new Client(args.clients + 2);
  const ack = await check.connect();
  check.close();
  clients.forEach((c) => c.close());
  const total = ack.values && ack.values.total ? ack.values.total.value : null;
  return {
    clients: clients.length, failed, connect_join_s: seconds, sent: expected, acked_ok: ok,
    seconds: elapsed, throughput_per_s: ok / elapsed, total, exact: total === expected,
    all_clients_saw_total: reach !== null,
  };
}

async function main() {
  const cpuBefore = process.cpuUsage();
  const started = now();
  let figures;
  if (args.scenario === "conn") figures = await scenarioConn();
  else if (args.scenario === "fanout") figures = await scenarioFanout();
  else if (args.scenario === "converge") figures = await scenarioConverge();
  else throw new Error(`unknown scenario ${args.scenario}`);
  const cpu = process.cpuUsage(cpuBefore);
  const elapsedMs = now() - started;
  figures.loadgen_cpu_percent = typeof phaseCpu === "number" ? phaseCpu
    : ((cpu.user + cpu.system) / 1000 / elapsedMs) * 100;
  figures.loadgen_rss_mb = process.memoryUsage().rss / 1048576;
  figures.join_retries = joinRetries;
  // Exit once the line is written: a pipe takes 64 KiB at a time, and a latency histogram
  // can be larger while bench/run.py is still reading another part.
  process.stdout.write(JSON.stringify({ scenario: args.scenario, transport: args.transport,
                                        ...figures }) + "\n", () => process.exit(0));
}

main().catch((err) => {
  process.stdout.write(JSON.stringify({ error: String(err && err.stack || err) }) + "\n");
  process.exit(1);
});
