// The benchmark sections. To add a figure (e.g. `agent` runs/s), append one section object to SECTIONS:
//
//   {
//     id: "agent",
//     title: "agent runs",
//     metrics: [{ key: "agent_rps", label: "agent runs/s", unit: "/s", better: "higher", check: ratioAtLeast(0.5) }],
//     async run(ctx) {                      // ONE run against ctx.target; returns {key: number}
//       const { port, token } = await ctx.shared();   // or `await ctx.fresh()`, which you must stop()
//       ...
//       return { agent_rps: ... };
//     },
//   }
//
// The runner calls run() `repeats` times per target (default CONFIG.repeats), alternating gateway and
// baseline so that load drift on the machine hits both alike, and reports the median of each key. Keys that
// are not metrics (e.g. an exit code) are kept in the JSON runs. run() may return null when the section does
// not apply to a target.
import { Buffer } from "node:buffer";
import http from "node:http";
import { performance } from "node:perf_hooks";
import { handshakeCycle, openAuthed, pollUntilHello, runPool } from "./client.js";
import { readCpuMicros } from "./servers.js";
import { scaleSection } from "./scale-section.js";
import { percentile } from "./stats.js";

/** Hot loops only need to know the request succeeded; skipping the payload parse keeps the client cheap. */
const FAST = { payload: false };

// ---- checks ---------------------------------------------------------------------------------------------------
// A check gets (gatewayValue, baselineValue) and returns true/false; `text` is what the table prints.

export const ratioAtLeast = (min) => ({
  text: `≥ ${min * 100}% of baseline`,
  test: (g, b) => g / b >= min,
});
export const ratioAtMost = (max) => ({ text: `≤ ${max}× baseline`, test: (g, b) => g / b <= max });
export const atMost = (max, unit) => ({ text: `≤ ${max} ${unit}`, test: (g) => g <= max });
export const atLeast = (min, unit) => ({ text: `≥ ${min} ${unit}`, test: (g) => g >= min });

const perSecond = (count, startMs) => count / ((performance.now() - startMs) / 1000);

// ---- sections -------------------------------------------------------------------------------------------------

const spawnSection = {
  id: "spawn",
  title: "startup",
  repeats: (config) => config.spawns,
  metrics: [
    {
      key: "spawn_hello_ms",
      label: "spawn → first hello-ok",
      unit: "ms",
      better: "lower",
      digits: 0,
      check: atMost(500, "ms"),
    },
  ],
  async run(ctx) {
    const server = ctx.target.spawn();
    let helloMs;
    let failure;
    try {
      const port = await server.waitPort();
      const { conn } = await pollUntilHello(port, server.token, { intervalMs: 20 });
      helloMs = performance.now() - server.t0;
      conn.terminate();
    } catch (err) {
      failure = err;
    }
    const stopped = await server.stop();
    if (failure) throw failure;
    return { spawn_hello_ms: helloMs, sigterm_exit_code: stopped.code ?? -1, sigterm_stop_ms: stopped.ms };
  },
};

const handshakeSection = {
  id: "handshake",
  title: "handshakes",
  metrics: [
    {
      key: "hs_seq",
      label: "handshakes/s sequential (500)",
      unit: "/s",
      better: "higher",
      digits: 0,
      check: ratioAtLeast(0.5),
    },
    {
      key: "hs_conc",
      label: "handshakes/s 50 concurrent (2000)",
      unit: "/s",
      better: "higher",
      digits: 0,
      check: ratioAtLeast(0.5),
    },
    {
      key: "hs_cpu_us",
      label: "server CPU per handshake (open, auth, close)",
      unit: "µs",
      better: "lower",
      digits: 0,
      check: ratioAtMost(1.3),
    },
  ],
  async run(ctx) {
    const server = await ctx.shared();
    const { port, token } = server;
    const { handshakesSeq, handshakesConc, concurrency } = ctx.config;
    for (let i = 0; i < 50; i++) await handshakeCycle(port, token); // warm-up
    const cpu0 = readCpuMicros(server.rssPid);
    let start = performance.now();
    for (let i = 0; i < handshakesSeq; i++) await handshakeCycle(port, token);
    const seq = perSecond(handshakesSeq, start);
    start = performance.now();
    await runPool(handshakesConc, concurrency, () => handshakeCycle(port, token));
    const conc = perSecond(handshakesConc, start);
    // The server's own CPU time: the client saturates a core first, so rates alone compare the clients.
    const cpuPerHandshake = (readCpuMicros(server.rssPid) - cpu0) / (handshakesSeq + handshakesConc);
    return { hs_seq: seq, hs_conc: conc, hs_cpu_us: cpuPerHandshake };
  },
};

const latencySection = {
  id: "latency",
  title: "health latency",
  metrics: [
    {
      key: "lat_p50_us",
      label: "health p50 (1 client, 5000 seq.)",
      unit: "µs",
      better: "lower",
      digits: 0,
      check: ratioAtMost(2),
    },
    {
      key: "lat_p99_us",
      label: "health p99 (1 client, 5000 seq.)",
      unit: "µs",
      better: "lower",
      digits: 0,
      check: ratioAtMost(2),
    },
  ],
  async run(ctx) {
    const { port, token } = await ctx.shared();
    const { latencyRequests, latencyWarmup } = ctx.config;
    const conn = await openAuthed(port, token);
    try {
      for (let i = 0; i < latencyWarmup; i++) await conn.request("health", FAST);
      const samples = new Float64Array(latencyRequests);
      for (let i = 0; i < latencyRequests; i++) {
        const t = performance.now();
        await conn.request("health", FAST);
        samples[i] = (performance.now() - t) * 1000;
      }
      return { lat_p50_us: percentile(samples, 50), lat_p99_us: percentile(samples, 99) };
    } finally {
      await conn.close();
    }
  },
};

const throughputSection = {
  id: "throughput",
  title: "request throughput",
  metrics: [
    {
      key: "rps_pipelined",
      label: "health req/s, 1 socket × 50 in flight",
      unit: "/s",
      better: "higher",
      digits: 0,
      check: ratioAtLeast(0.5),
    },
    {
      key: "rps_sockets",
      label: "health req/s, 50 sockets × 1 in flight",
      unit: "/s",
      better: "higher",
      digits: 0,
      check: ratioAtLeast(0.5),
    },
    {
      key: "health_cpu_us",
      label: "server CPU per health request",
      unit: "µs",
      better: "lower",
      digits: 1,
      check: ratioAtMost(1.3),
    },
  ],
  async run(ctx) {
    const server = await ctx.shared();
    const { port, token } = server;
    const { throughputRequests: total, concurrency } = ctx.config;
    const conns = [];
    try {
      await runPool(concurrency, concurrency, async () => conns.push(await openAuthed(port, token)));
      const one = conns[0];
      await runPool(1000, concurrency, () => one.request("health", FAST)); // warm-up
      const cpu0 = readCpuMicros(server.rssPid);
      let start = performance.now();
      await runPool(total, concurrency, () => one.request("health", FAST));
      const pipelined = perSecond(total, start);
      const perSocket = Math.ceil(total / conns.length);
      start = performance.now();
      await Promise.all(
        conns.map(async (conn) => {
          for (let i = 0; i < perSocket; i++) await conn.request("health", FAST);
        }),
      );
      const rpsSockets = perSecond(perSocket * conns.length, start);
      const cpuPerRequest = (readCpuMicros(server.rssPid) - cpu0) / (total + perSocket * conns.length);
      return { rps_pipelined: pipelined, rps_sockets: rpsSockets, health_cpu_us: cpuPerRequest };
    } finally {
      await Promise.all(conns.map((c) => c.close()));
    }
  },
};

/** Report order. Sections needing fresh processes come first, before the shared servers are started. */
const AGENT_SOCKETS = 5;
const AGENT_SESSIONS = 50;
const AGENT_RUNS = 3000;
const AGENT_IDLE_RUNS = 500;

/** `agent` runs with the zero-delay echo provider: 50 sessions in parallel, each session's runs in sequence. */
const agentSection = {
  id: "agent",
  title: "agent runs (echo, no delay)",
  metrics: [
    {
      key: "agent_rps",
      label: "agent runs/s, 50 sessions",
      unit: "/s",
      better: "higher",
      digits: 0,
      check: atLeast(2000, "/s"),
    },
    { key: "agent_ack_p50_ms", label: "agent ack p50, 50 in flight", unit: "ms", better: "lower", digits: 2 },
    { key: "agent_ack_p99_ms", label: "agent ack p99, 50 in flight", unit: "ms", better: "lower", digits: 2 },
    {
      key: "agent_ack_idle_p50_ms",
      label: "agent ack p50, 1 client",
      unit: "ms",
      better: "lower",
      digits: 2,
      check: atMost(1, "ms"),
    },
    {
      key: "agent_ack_idle_p99_ms",
      label: "agent ack p99, 1 client",
      unit: "ms",
      better: "lower",
      digits: 2,
    },
    { key: "agent_final_p50_ms", label: "agent final p50", unit: "ms", better: "lower", digits: 2 },
  ],
  async run(ctx) {
    if (ctx.target.id !== "gateway") return null;
    const { port, token } = await ctx.shared();
    const conns = await Promise.all(Array.from({ length: AGENT_SOCKETS }, () => openAuthed(port, token)));
    const acks = [];
    const finals = [];
    const runId = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
    let issued = 0;
    const started = performance.now();
    try {
      await Promise.all(
        Array.from({ length: AGENT_SESSIONS }, async (_, session) => {
          const conn = conns[session % AGENT_SOCKETS];
          while (issued < AGENT_RUNS) {
            const n = issued++;
            const { ackMs, totalMs } = await conn.agentRun({
              message: "ping",
              idempotencyKey: `bench-${runId}-${n}`,
              sessionKey: `agent:main:bench-${session}`,
            });
            acks.push(ackMs);
            finals.push(totalMs);
          }
        }),
      );
      const runsPerSecond = perSecond(AGENT_RUNS, started);
      // The same ack, on a gateway that is not saturated: one client, one run at a time.
      const idleAcks = [];
      for (let n = 0; n < AGENT_IDLE_RUNS; n += 1) {
        const { ackMs } = await conns[0].agentRun({
          message: "ping",
          idempotencyKey: `bench-${runId}-idle-${n}`,
          sessionKey: "agent:main:bench-idle",
        });
        idleAcks.push(ackMs);
      }
      return {
        agent_ack_idle_p50_ms: percentile(idleAcks, 50),
        agent_ack_idle_p99_ms: percentile(idleAcks, 99),
        agent_rps: runsPerSecond,
        agent_ack_p50_ms: percentile(acks, 50),
        agent_ack_p99_ms: percentile(acks, 99),
        agent_final_p50_ms: percentile(finals, 50),
      };
    } finally {
      await Promise.all(conns.map((conn) => conn.close()));
    }
  },
};

const HTTP_REQUESTS = 2000;
const HTTP_IDLE_REQUESTS = 300;

/** One non-streamed POST /v1/chat/completions on a keep-alive agent; resolves with its latency in ms. */
function chatCompletion(agent, port, token, sessionKey) {
  const body = JSON.stringify({ model: "coderclaw", messages: [{ role: "user", content: "ping" }] });
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: "127.0.0.1",
        port,
        path: "/v1/chat/completions",
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          "x-coderclaw-session-key": sessionKey,
        },
      },
      (res) => {
        res.resume();
        res.on("end", () =>
          res.statusCode === 200
            ? resolve(performance.now() - started)
            : reject(new Error(`chat completion answered ${res.statusCode}`)),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** The OpenAI-compatible endpoint on the echo provider: every request is a whole agent run. */
const httpSection = {
  id: "http",
  title: "HTTP chat completions (echo, no delay)",
  metrics: [
    {
      key: "http_rps",
      label: "POST /v1/chat/completions req/s, 50 clients",
      unit: "/s",
      better: "higher",
      digits: 0,
    },
    {
      key: "http_p50_ms",
      label: "POST /v1/chat/completions p50, 1 client",
      unit: "ms",
      better: "lower",
      digits: 2,
    },
  ],
  async run(ctx) {
    if (ctx.target.id !== "gateway") return null;
    const { port, token } = await ctx.shared();
    const agent = new http.Agent({ keepAlive: true, maxSockets: AGENT_SESSIONS });
    try {
      let issued = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: AGENT_SESSIONS }, async (_, lane) => {
          while (issued < HTTP_REQUESTS) {
            issued += 1;
            await chatCompletion(agent, port, token, `agent:main:bench-http-${lane}`);
          }
        }),
      );
      const rps = perSecond(HTTP_REQUESTS, started);
      const latencies = [];
      for (let n = 0; n < HTTP_IDLE_REQUESTS; n += 1) {
        latencies.push(await chatCompletion(agent, port, token, "agent:main:bench-http-idle"));
      }
      return { http_rps: rps, http_p50_ms: percentile(latencies, 50) };
    } finally {
      agent.destroy();
    }
  },
};

/** The sections for a run; `quick` holds fewer connections in the scale section. */
export const sectionsFor = (config) => [
  spawnSection,
  scaleSection({ connections: config.scaleConnections }),
  handshakeSection,
  latencySection,
  throughputSection,
  agentSection,
  httpSection,
];
