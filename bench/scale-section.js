// The scale section: 10,000 authenticated connections held on one fresh server, opened from worker processes.
// Each figure is taken in the same run for the gateway and for the bare ws baseline (see sections.js).
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { openAuthed } from "./client.js";
import { readRss } from "./servers.js";
import { percentile } from "./stats.js";
import { WorkerPool } from "./worker-pool.js";

const KB = 1024;
const MB = 1024 * 1024;
/** The crowd: devices (role node) that take presence deltas, as a household or a fleet would connect. */
const CROWD = { role: "node", caps: ["presence-delta"] };
const WORKERS = 3;
const SETTLE_MS = 2000;
const BROADCASTS = 5;
const AGENT_SOCKETS = 5;
const AGENT_SESSIONS = 50;

/** `runs` zero-delay echo runs, 50 sessions in parallel over 5 sockets; resolves with runs per second. */
async function agentThroughput(conns, runs, tag) {
  let issued = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: AGENT_SESSIONS }, async (_, session) => {
      const conn = conns[session % conns.length];
      while (issued < runs) {
        const n = issued++;
        await conn.agentRun({
          message: "ping",
          idempotencyKey: `scale-${tag}-${n}`,
          sessionKey: `agent:main:scale-${session}`,
        });
      }
    }),
  );
  return runs / ((performance.now() - started) / 1000);
}

/** Sequential runs on one client; resolves with the final-reply latencies (ms). */
async function runLatencies(conn, runs, tag) {
  const finals = [];
  for (let n = 0; n < runs; n++) {
    const { totalMs } = await conn.agentRun({
      message: "ping",
      idempotencyKey: `scale-lat-${tag}-${n}`,
      sessionKey: "agent:main:scale-latency",
    });
    finals.push(totalMs);
  }
  return finals;
}

/** One stamped broadcast to every client: presence (a `system-event`) on the gateway, `broadcast` on the baseline. */
function triggerBroadcast(target, conn, n) {
  return target.id === "gateway"
    ? conn.request("system-event", { payload: false, params: { text: "bench", instanceId: `bench-${n}` } })
    : conn.request("broadcast", { payload: false });
}

/** Waits until `expected` clients have received the broadcast (or 10 s); resolves with their delays. */
async function collect(pool, expected) {
  const deadline = performance.now() + 10_000;
  let delays = [];
  while (performance.now() < deadline) {
    await sleep(250);
    delays = await pool.receipts();
    if (delays.length >= expected) break;
  }
  return delays;
}

export function scaleSection({ connections }) {
  const first = connections - 1000;
  const k = (n) => `${n / 1000}k`;
  return {
    id: "scale",
    title: `${connections.toLocaleString("en-US")} connections (from ${WORKERS} client processes)`,
    repeats: (config) => config.scaleRepeats,
    metrics: [
      { key: "idle_rss_mb", label: "idle RSS (start + 1 s)", unit: "MB", better: "lower" },
      {
        key: "conn_kb",
        label: `RSS per idle authed conn (${k(first)} → ${k(connections)} held)`,
        unit: "KB",
        better: "lower",
        check: { text: "≤ 1.3× baseline and ≤ 20 KB", test: (g, b) => g <= 1.3 * b && g <= 20 },
      },
      {
        key: "conn_avg_kb",
        label: `RSS growth per conn, all ${k(connections)} (from idle)`,
        unit: "KB",
        better: "lower",
      },
      {
        key: "open_cold_ms",
        label: `open + auth ${k(connections)} conns, 50 conc. (fresh process)`,
        unit: "ms",
        better: "lower",
        digits: 0,
        check: { text: "≤ 2× baseline", test: (g, b) => g <= 2 * b },
      },
      {
        key: "open_warm_ms",
        label: `open + auth ${k(connections)} conns, 50 conc. (warm, after closing them)`,
        unit: "ms",
        better: "lower",
        digits: 0,
        check: { text: "≤ 2× baseline", test: (g, b) => g <= 2 * b },
      },
      {
        key: "bcast_p50_ms",
        label: `broadcast delivery p50 (1 event → ${k(connections)} clients)`,
        unit: "ms",
        better: "lower",
      },
      {
        key: "bcast_p99_ms",
        label: `broadcast delivery p99 (1 event → ${k(connections)} clients)`,
        unit: "ms",
        better: "lower",
        check: { text: "≤ 100 ms", test: (g) => g <= 100 },
      },
      {
        key: "hello_bytes",
        label: `hello-ok bytes, ${k(connections)} held`,
        unit: "B",
        better: "lower",
        digits: 0,
      },
      {
        key: "hello_growth_bytes",
        label: `hello-ok growth, ${k(first)} → ${k(connections)} held`,
        unit: "B",
        better: "lower",
        digits: 0,
        check: { text: "≤ 16 B", test: (g) => g <= 16 },
      },
      {
        key: "agent_rps_idle0",
        label: "agent runs/s, no other clients",
        unit: "/s",
        better: "higher",
        digits: 0,
      },
      {
        key: "agent_rps_crowd",
        label: `agent runs/s, ${k(connections)} idle clients`,
        unit: "/s",
        better: "higher",
        digits: 0,
      },
      {
        key: "agent_rps_crowd_ratio",
        label: `agent runs/s, ${k(connections)} idle / none`,
        unit: "×",
        better: "higher",
        check: { text: "≥ 0.9", test: (g) => g >= 0.9 },
      },
      {
        key: "run_final_quiet_p50_ms",
        label: `run final p50, 1 client, ${k(connections)} idle`,
        unit: "ms",
        better: "lower",
      },
      {
        key: "run_final_bcast_p50_ms",
        label: `run final p50, 1 client, during broadcasts to ${k(connections)}`,
        unit: "ms",
        better: "lower",
      },
      {
        key: "run_final_bcast_p99_ms",
        label: `run final p99, 1 client, during broadcasts to ${k(connections)}`,
        unit: "ms",
        better: "lower",
      },
    ],
    async run(ctx) {
      const { target } = ctx;
      const isGateway = target.id === "gateway";
      const server = await ctx.fresh();
      let pool = new WorkerPool(WORKERS);
      const mine = [];
      try {
        for (let i = 0; i < AGENT_SOCKETS; i++) mine.push(await openAuthed(server.port, server.token));
        const [main] = mine;
        await sleep(1000);
        const idle = readRss(server.rssPid);
        const result = { idle_rss_mb: idle / MB };
        if (isGateway) {
          await agentThroughput(mine, 300, `warm-${ctx.iteration}`);
          result.agent_rps_idle0 = await agentThroughput(mine, 2000, `none-${ctx.iteration}`);
        }

        const t1 = await pool.open(server.port, server.token, first, 50, CROWD);
        await sleep(SETTLE_MS);
        const rssFirst = readRss(server.rssPid);
        const helloFirst = await openAuthed(server.port, server.token);
        const t2 = await pool.open(server.port, server.token, 1000, 50, CROWD);
        await sleep(SETTLE_MS);
        const rssAll = readRss(server.rssPid);
        const helloAll = await openAuthed(server.port, server.token);
        result.open_cold_ms = t1 + t2;
        result.conn_kb = (rssAll - rssFirst) / 1000 / KB;
        result.conn_avg_kb = (rssAll - idle) / connections / KB;
        result.hello_bytes = helloAll.helloBytes;
        result.hello_growth_bytes = helloAll.helloBytes - helloFirst.helloBytes;
        helloFirst.terminate();
        helloAll.terminate();

        // One event to everyone, BROADCASTS times; each client's delay from the event's own timestamp.
        const p50s = [];
        const p99s = [];
        for (let n = 0; n < BROADCASTS; n++) {
          await pool.watch(Date.now());
          await triggerBroadcast(target, main, n);
          const delays = await collect(pool, connections);
          if (delays.length < connections) {
            throw new Error(`broadcast ${n}: ${delays.length} of ${connections} clients received it`);
          }
          p50s.push(percentile(delays, 50));
          p99s.push(percentile(delays, 99));
          await sleep(300);
        }
        result.bcast_p50_ms = percentile(p50s, 50);
        result.bcast_p99_ms = percentile(p99s, 50);

        if (isGateway) {
          result.agent_rps_crowd = await agentThroughput(mine, 2000, `crowd-${ctx.iteration}`);
          result.agent_rps_crowd_ratio = result.agent_rps_crowd / result.agent_rps_idle0;
          const quiet = await runLatencies(main, 100, `quiet-${ctx.iteration}`);
          // The same runs while another client makes the gateway broadcast to everyone every 300 ms.
          let broadcasting = true;
          const trigger = mine[1];
          const broadcaster = (async () => {
            for (let n = 0; broadcasting; n++) {
              await triggerBroadcast(target, trigger, 1000 + n);
              await sleep(300);
            }
          })();
          const busy = await runLatencies(main, 100, `busy-${ctx.iteration}`);
          broadcasting = false;
          await broadcaster;
          result.run_final_quiet_p50_ms = percentile(quiet, 50);
          result.run_final_bcast_p50_ms = percentile(busy, 50);
          result.run_final_bcast_p99_ms = percentile(busy, 99);
        }

        // Warm: the same process opens them all again once they are gone.
        await pool.close();
        pool = new WorkerPool(WORKERS);
        await sleep(SETTLE_MS);
        result.open_warm_ms = await pool.open(server.port, server.token, connections, 50, CROWD);
        return result;
      } finally {
        for (const conn of mine) conn.terminate();
        await pool.close().catch(() => pool.kill());
        await server.stop(10_000);
      }
    },
  };
}
