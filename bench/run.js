#!/usr/bin/env node
// CoderClaw Gateway benchmark: the gateway vs a bare Node + ws baseline (bench/baseline-server.js).
// `npm run bench` (= build, then `node bench/run.js`). Options: --only=<section ids, comma-separated>;
// --quick: one run per section, 3,000 connections instead of 10,000 in the scale section;
// --connections=<n>: hold n connections in the scale section.
// Prints a table and writes bench/results/latest.json. Target FAILs are reported, not an exit code;
// the exit code is 1 only if a section could not be measured.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { setTimeout, clearTimeout } from "node:timers";
import { gatewayFigures, scrapeMetrics } from "./metrics.js";
import { sectionsFor } from "./sections.js";
import { TARGETS, installExitHandlers, startReady, stopAll } from "./servers.js";
import { median, round } from "./stats.js";

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const RESULTS_FILE = path.join(BENCH_DIR, "results", "latest.json");

const CONFIG = {
  repeats: 3, // each throughput/latency/memory figure is the median of this many runs
  spawns: 5, // spawn → first hello-ok: median of this many process starts
  concurrency: 50,
  handshakesSeq: 500,
  handshakesConc: 2000,
  latencyWarmup: 200,
  latencyRequests: 5000,
  throughputRequests: 20000,
  scaleConnections: 10_000, // held at once in the scale section (from worker processes)
  scaleRepeats: 3,
  runTimeoutMs: 60_000, // one run of one section against one target (the scale section: scaleRunTimeoutMs)
  scaleRunTimeoutMs: 300_000,
  totalTimeoutMs: 900_000, // hard stop for the whole run (report what we have, exit 1)
};

const QUICK = { repeats: 1, spawns: 3, scaleConnections: 3000, scaleRepeats: 1 };

const log = (line) => process.stderr.write(`${line}\n`);

function withTimeout(promise, ms, message) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function openFileLimit() {
  try {
    return Number(execFileSync("sh", ["-c", "ulimit -n"], { encoding: "utf8" }).trim());
  } catch {
    return NaN;
  }
}

function parseArgs(argv) {
  const only = argv.find((a) => a.startsWith("--only="))?.slice("--only=".length);
  const connections = argv.find((a) => a.startsWith("--connections="))?.slice("--connections=".length);
  return {
    only: only ? new Set(only.split(",")) : null,
    quick: argv.includes("--quick"),
    connections: connections ? Number(connections) : null,
  };
}

// ---- reporting ------------------------------------------------------------------------------------------------

function fmt(value, digits) {
  if (value === undefined || value === null || Number.isNaN(value)) return "—";
  return round(value, digits).toLocaleString("en-US", { maximumFractionDigits: digits });
}

function buildRows(sections, results) {
  const rows = [];
  for (const section of sections) {
    const [gateway, baseline] = TARGETS.map((t) => results[section.id]?.[t.id]);
    for (const metric of section.metrics) {
      const g = gateway?.values?.[metric.key];
      const b = baseline?.values?.[metric.key];
      const ratio = Number.isFinite(g) && Number.isFinite(b) && b !== 0 ? g / b : NaN;
      let result = "—";
      if (metric.check) {
        const needsBaseline = metric.check.test.length > 1;
        if (!Number.isFinite(g) || (needsBaseline && !Number.isFinite(b))) result = "ERROR";
        else result = metric.check.test(g, b) ? "PASS" : "FAIL";
      }
      rows.push({
        section: section.id,
        key: metric.key,
        label: metric.label,
        unit: metric.unit,
        better: metric.better,
        gateway: Number.isFinite(g) ? round(g, 3) : null,
        baseline: Number.isFinite(b) ? round(b, 3) : null,
        ratio: Number.isFinite(ratio) ? round(ratio, 3) : null,
        target: metric.check?.text ?? null,
        result,
        digits: metric.digits ?? 2,
      });
    }
  }
  return rows;
}

function printTable(rows) {
  const header = ["metric", "unit", "gateway", "baseline", "ratio g/b", "target", "result"];
  const body = rows.map((r) => [
    r.label,
    r.unit,
    fmt(r.gateway, r.digits),
    fmt(r.baseline, r.digits),
    fmt(r.ratio, 2),
    r.target ?? "—",
    r.result,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const right = new Set([2, 3, 4]);
  const line = (cells) =>
    cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of body) console.log(line(row));
}

// ---- main -----------------------------------------------------------------------------------------------------

async function main() {
  installExitHandlers();
  const startedAt = new Date();
  const t0 = performance.now();
  const { only, quick, connections } = parseArgs(process.argv.slice(2));
  if (quick) Object.assign(CONFIG, QUICK);
  if (connections) {
    if (!Number.isInteger(connections) || connections < 2000) throw new Error("--connections must be ≥ 2000");
    CONFIG.scaleConnections = connections;
  }
  const all = sectionsFor(CONFIG);
  const sections = only ? all.filter((s) => only.has(s.id)) : all;
  if (sections.length === 0) throw new Error(`no section matches --only (have: ${all.map((s) => s.id)})`);

  if (!existsSync(path.join(BENCH_DIR, "..", "dist", "cli"))) {
    throw new Error("dist/ is missing: run `npm run build` first (or `npm run bench`)");
  }
  const ulimitN = openFileLimit();
  // The server holds one descriptor per connection; each client process its share.
  const neededFds = CONFIG.scaleConnections + 200;
  log(`bench: node ${process.version}, ${os.cpus().length} CPUs, ulimit -n ${ulimitN}`);
  if (Number.isFinite(ulimitN) && ulimitN < neededFds) {
    log(
      `bench: warning: ulimit -n ${ulimitN} < ${neededFds}; the connection memory figures will likely fail`,
    );
  }

  const results = {};
  const meta = {
    startedAt: startedAt.toISOString(),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    totalMemMB: Math.round(os.totalmem() / 1024 / 1024),
    ulimitN,
    config: CONFIG,
  };
  let partial = false;

  const finish = (exitCode) => {
    const rows = buildRows(sections, results);
    console.log("");
    printTable(rows);
    const summary = { pass: 0, fail: 0, error: 0 };
    for (const r of rows) {
      if (r.result === "PASS") summary.pass++;
      else if (r.result === "FAIL") summary.fail++;
      else if (r.result === "ERROR") summary.error++;
    }
    const durationS = round((performance.now() - t0) / 1000, 1);
    console.log(
      `\n${summary.pass} PASS, ${summary.fail} FAIL, ${summary.error} ERROR in ${durationS} s` +
        ` (ratio = gateway / baseline; medians of ${CONFIG.repeats} runs, scale: ${CONFIG.scaleRepeats},` +
        ` spawn: ${CONFIG.spawns})`,
    );
    mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
    const json = { ...meta, durationS, partial, summary, table: rows, sections: results };
    writeFileSync(RESULTS_FILE, `${JSON.stringify(json, null, 2)}\n`);
    console.log(`wrote ${path.relative(process.cwd(), RESULTS_FILE)}`);
    return exitCode;
  };

  // Hard stop: report what we have, then exit (the exit handler kills the servers).
  const watchdog = setTimeout(() => {
    log(`bench: total time limit of ${CONFIG.totalTimeoutMs / 1000} s reached, stopping`);
    partial = true;
    process.exit(finish(1));
  }, CONFIG.totalTimeoutMs);
  watchdog.unref();

  // One long-lived server per target for the sections that do not need a fresh process.
  const shared = new Map();
  const getShared = (target) => {
    if (!shared.has(target.id)) {
      const promise = startReady(target);
      promise.catch(() => shared.delete(target.id));
      shared.set(target.id, promise);
    }
    return shared.get(target.id);
  };
  const dropShared = async (target) => {
    const promise = shared.get(target.id);
    shared.delete(target.id);
    // What the shared gateway says about itself after its sections (its /metrics), kept with the results.
    if (target.id === "gateway" && promise) {
      const samples = await promise.then(scrapeMetrics).catch(() => null);
      if (samples) {
        meta.gatewayMetrics = gatewayFigures(samples);
        log(`bench: gateway metrics: ${JSON.stringify(meta.gatewayMetrics)}`);
      }
    }
    if (promise) await promise.then((s) => s.stop(2000)).catch(() => {});
  };

  let failures = 0;
  try {
    for (const section of sections) {
      const repeats = section.repeats ? section.repeats(CONFIG) : CONFIG.repeats;
      const state = new Map(
        TARGETS.map((t) => [t.id, { runs: {}, seconds: 0, error: null, skipped: false }]),
      );
      log(`bench: ${section.title} (${repeats} runs per target, interleaved)`);
      for (let i = 0; i < repeats; i++) {
        // Alternate which target goes first so neither always runs right after the other's load.
        const order = i % 2 ? [...TARGETS].reverse() : TARGETS;
        for (const target of order) {
          const st = state.get(target.id);
          if (st.error || st.skipped) continue;
          const ctx = {
            target,
            config: CONFIG,
            iteration: i,
            shared: () => getShared(target),
            fresh: () => startReady(target),
            log,
          };
          const start = performance.now();
          try {
            const timeoutMs = section.id === "scale" ? CONFIG.scaleRunTimeoutMs : CONFIG.runTimeoutMs;
            const result = await withTimeout(
              Promise.resolve(section.run(ctx)),
              timeoutMs,
              `section ${section.id} run timed out after ${timeoutMs / 1000} s`,
            );
            st.seconds += (performance.now() - start) / 1000;
            if (!result) {
              st.skipped = true;
              continue;
            }
            for (const [key, value] of Object.entries(result)) (st.runs[key] ??= []).push(value);
            const shown = section.metrics.map((m) => `${m.key}=${round(result[m.key], 2)}`).join(" ");
            log(`bench:   ${target.label.padEnd(8)} #${i + 1} ${shown}`);
          } catch (err) {
            failures++;
            st.error = String(err?.message ?? err);
            log(`bench:   ${target.label} ERROR ${err?.stack ?? err}`);
            // A wedged shared server must not poison the next run or section.
            await dropShared(target);
          }
        }
      }
      results[section.id] = {};
      for (const target of TARGETS) {
        const st = state.get(target.id);
        if (st.skipped && !Object.keys(st.runs).length) continue;
        const values = Object.fromEntries(Object.entries(st.runs).map(([k, list]) => [k, median(list)]));
        results[section.id][target.id] = {
          values: st.error ? {} : values,
          runs: st.runs,
          seconds: round(st.seconds, 1),
          ...(st.error ? { error: st.error } : {}),
        };
      }
    }
  } finally {
    for (const target of TARGETS) await dropShared(target);
    await stopAll();
    clearTimeout(watchdog);
  }
  return finish(failures ? 1 : 0);
}

main().then(
  (code) => process.exit(code),
  async (err) => {
    log(`bench: ${err?.stack ?? err}`);
    await stopAll().catch(() => {});
    process.exit(1);
  },
);
