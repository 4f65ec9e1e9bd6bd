#!/usr/bin/env node
// Where the bytes and the time of idle connections go. Spawns one server (gateway or baseline) with
// --heapsnapshot-signal and --cpu-prof, opens connections from worker processes, takes a heap snapshot
// at `from` and at `to` connections held, and prints what grew per connection (by V8 node type and
// constructor) and where the CPU time of the join storm went (self time by function and by file).
//   node bench/profile.js [--target=gateway|baseline] [--from=2000] [--to=3000] [--caps=presence-delta] [--role=node]
//   node bench/profile.js --cycles=3000 [--target=…]   (CPU profile of open → auth → close cycles, 50 concurrent)
//   node bench/profile.js --requests=40000 [--target=…]   (CPU profile of `health` requests, 50 in flight)
// The snapshots and the .cpuprofile stay in the printed directory (open them in Chrome DevTools).
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { handshakeCycle, openAuthed, runPool } from "./client.js";
import { TARGETS, installExitHandlers, readCpuMicros, readRss, startReady } from "./servers.js";
import { WorkerPool } from "./worker-pool.js";

const arg = (name, fallback) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;

const target = TARGETS.find((t) => t.id === arg("target", "gateway"));
const from = Number(arg("from", 2000));
const to = Number(arg("to", 3000));
const params = {
  ...(arg("caps", "") ? { caps: arg("caps", "").split(",") } : {}),
  ...(arg("role", "") ? { role: arg("role", "") } : {}),
};
const dir = mkdtempSync(path.join(tmpdir(), `coderclaw-profile-${target.id}-`));

async function snapshot(server, label) {
  const before = new Set(readdirSync(dir));
  server.child.kill("SIGUSR2");
  for (;;) {
    await sleep(200);
    const file = readdirSync(dir).find((f) => f.endsWith(".heapsnapshot") && !before.has(f));
    if (!file) continue;
    const full = path.join(dir, file);
    const size = statSync(full).size;
    await sleep(500);
    if (statSync(full).size === size && size > 0) {
      process.stderr.write(`profile: ${label} snapshot ${file} (${(size / 1e6).toFixed(1)} MB)\n`);
      return full;
    }
  }
}

/** Self size and count per "type:name" in a .heapsnapshot. */
function summarize(file) {
  const snap = JSON.parse(readFileSync(file, "utf8"));
  const meta = snap.snapshot.meta;
  const fields = meta.node_fields;
  const types = meta.node_types[0];
  const stride = fields.length;
  const iType = fields.indexOf("type");
  const iName = fields.indexOf("name");
  const iSize = fields.indexOf("self_size");
  const nodes = snap.nodes;
  const byKey = new Map();
  let total = 0;
  for (let i = 0; i < nodes.length; i += stride) {
    const type = types[nodes[i + iType]];
    let name = snap.strings[nodes[i + iName]];
    if (type === "string" || type === "concatenated string" || type === "sliced string") name = "";
    else if (type === "code") name = "";
    else if (name.length > 60) name = `${name.slice(0, 60)}…`;
    const key = `${type}:${name}`;
    const size = nodes[i + iSize];
    total += size;
    const entry = byKey.get(key) ?? { count: 0, size: 0 };
    entry.count += 1;
    entry.size += size;
    byKey.set(key, entry);
  }
  return { byKey, total };
}

function printHeapDiff(a, b, perConns) {
  const rows = [];
  for (const [key, after] of b.byKey) {
    const before = a.byKey.get(key) ?? { count: 0, size: 0 };
    const size = (after.size - before.size) / perConns;
    const count = (after.count - before.count) / perConns;
    if (Math.abs(size) >= 8) rows.push({ key, size, count });
  }
  rows.sort((x, y) => y.size - x.size);
  console.log(
    `\nheap growth per connection: ${((b.total - a.total) / perConns).toFixed(0)} B (V8 heap, self sizes)`,
  );
  console.log("   bytes   objects  type:constructor");
  for (const row of rows.slice(0, 40)) {
    console.log(`${row.size.toFixed(0).padStart(8)}  ${row.count.toFixed(2).padStart(8)}  ${row.key}`);
  }
}

function printCpu(file) {
  const profile = JSON.parse(readFileSync(file, "utf8"));
  const selfById = new Map();
  const dt = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++) {
    selfById.set(profile.samples[i], (selfById.get(profile.samples[i]) ?? 0) + (dt[i] ?? 0));
  }
  const byFn = new Map();
  const byFile = new Map();
  let total = 0;
  for (const node of profile.nodes) {
    const us = selfById.get(node.id) ?? 0;
    if (!us) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url ? url.replace(/^.*\/(node_modules\/|dist\/|node:)/, "$1") : "(native)";
    const fn = `${functionName || "(anonymous)"} ${file}:${lineNumber + 1}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + us);
    const fileKey = file.replace(/:\d+$/, "");
    byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + us);
    total += us;
  }
  const top = (map, n) => [...map].sort((x, y) => y[1] - x[1]).slice(0, n);
  console.log(`\nCPU profile: ${(total / 1000).toFixed(0)} ms sampled`);
  console.log("self ms   share  file");
  for (const [key, us] of top(byFile, 15)) {
    console.log(
      `${(us / 1000).toFixed(0).padStart(7)}  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${key}`,
    );
  }
  console.log("self ms   share  function");
  for (const [key, us] of top(byFn, 30)) {
    console.log(
      `${(us / 1000).toFixed(0).padStart(7)}  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${key}`,
    );
  }
}

/** CPU profile of handshake cycles only (no snapshots). */
async function profileCycles(cycles) {
  const server = await startReady(target, { nodeArgs: ["--cpu-prof", `--diagnostic-dir=${dir}`] });
  try {
    await runPool(200, 50, () => handshakeCycle(server.port, server.token)); // warm-up
    const cpu0 = readCpuMicros(server.rssPid);
    await runPool(cycles, 50, () => handshakeCycle(server.port, server.token));
    const perCycle = (readCpuMicros(server.rssPid) - cpu0) / cycles;
    console.log(`${target.id}: server CPU ${perCycle.toFixed(0)} µs per handshake cycle (${cycles})`);
  } finally {
    await server.stop(10_000);
  }
  const cpu = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (cpu) printCpu(path.join(dir, cpu));
}

/** CPU profile of `health` requests as the bench makes them: one socket with 50 in flight, then 50 sockets with 1 each. */
async function profileRequests(requests) {
  const server = await startReady(target, { nodeArgs: ["--cpu-prof", `--diagnostic-dir=${dir}`] });
  const conns = [];
  try {
    await runPool(50, 50, async () => conns.push(await openAuthed(server.port, server.token)));
    const health = (conn) => conn.request("health", { payload: false });
    await runPool(2000, 50, () => health(conns[0])); // warm-up
    let cpu0 = readCpuMicros(server.rssPid);
    await runPool(requests, 50, () => health(conns[0]));
    const pipelined = (readCpuMicros(server.rssPid) - cpu0) / requests;
    cpu0 = readCpuMicros(server.rssPid);
    const perSocket = Math.ceil(requests / conns.length);
    await Promise.all(
      conns.map(async (conn) => {
        for (let i = 0; i < perSocket; i++) await health(conn);
      }),
    );
    const spread = (readCpuMicros(server.rssPid) - cpu0) / (perSocket * conns.length);
    console.log(
      `${target.id}: server CPU per health request: ${pipelined.toFixed(1)} µs (1 socket × 50 in flight),` +
        ` ${spread.toFixed(1)} µs (50 sockets × 1)`,
    );
  } finally {
    for (const conn of conns) conn.ws.terminate();
    await server.stop(10_000);
  }
  const cpu = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (cpu) printCpu(path.join(dir, cpu));
}

async function main() {
  installExitHandlers();
  const cycles = Number(arg("cycles", 0));
  if (cycles > 0) return profileCycles(cycles);
  const requests = Number(arg("requests", 0));
  if (requests > 0) return profileRequests(requests);
  const server = await startReady(target, {
    nodeArgs: ["--heapsnapshot-signal=SIGUSR2", "--cpu-prof", `--diagnostic-dir=${dir}`],
  });
  const pool = new WorkerPool(2);
  try {
    await sleep(500);
    const rss0 = readRss(server.rssPid);
    const openA = await pool.open(server.port, server.token, from, 50, params);
    await sleep(1000);
    const rssA = readRss(server.rssPid);
    const snapA = await snapshot(server, `${from} held`);
    const openB = await pool.open(server.port, server.token, to - from, 50, params);
    await sleep(1000);
    const rssB = readRss(server.rssPid);
    const snapB = await snapshot(server, `${to} held`);
    console.log(
      `${target.id}: RSS idle ${(rss0 / 1048576).toFixed(1)} MB; ${from} held ${(rssA / 1048576).toFixed(1)} MB` +
        ` (opened in ${openA.toFixed(0)} ms); ${to} held ${(rssB / 1048576).toFixed(1)} MB` +
        ` (${to - from} opened in ${openB.toFixed(0)} ms); slope ${((rssB - rssA) / (to - from) / 1024).toFixed(1)} KB/conn`,
    );
    printHeapDiff(summarize(snapA), summarize(snapB), to - from);
  } finally {
    await pool.close();
    await server.stop(10_000);
  }
  const cpu = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (cpu && existsSync(path.join(dir, cpu))) printCpu(path.join(dir, cpu));
  else console.log("\n(no CPU profile written: the server did not exit normally)");
  console.log(`\nfiles in ${dir}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
