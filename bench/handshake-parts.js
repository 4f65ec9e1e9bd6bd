#!/usr/bin/env node
// What parts of one connection's life cost the gateway, measured in this process on the build's own
// modules: the connection actor (xstate: created under the shared parent, started, taken through
// connect → authenticated → socket closed, with actions that do nothing), the activity log's two lines
// (connected and disconnected, to the real JSON-lines file; with `--console`, also to stdout), and the
// hello-ok frame with 50 presence entries. Compare each with the bare server's whole handshake cycle
// (`node bench/profile.js --cycles=3000 --target=baseline`).
//   node bench/handshake-parts.js [--n=20000] [--console]   (CPU µs per connection, median of 5 rounds)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setImmediate as turn } from "node:timers/promises";
import { createActor } from "xstate";
import { connectionMachine } from "../dist/machines/connection.machine.js";
import { createFailureParent } from "../dist/machines/failure-parent.js";
import { createLogger } from "../dist/log/logger.js";
import { ActivityLog } from "../dist/log/activity-log.js";
import { HelloOk } from "../dist/actors/hello-ok.js";
import { loadConfig } from "../dist/config/load.js";

const arg = (name, fallback) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const N = Number(arg("n", 20000));
const ROUNDS = 5;
const withConsole = process.argv.includes("--console");

const cpuMicros = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

/** CPU µs per call of `one(i)`, median of ROUNDS rounds of N calls; yields to the event loop every 50. */
async function measure(one) {
  const rounds = [];
  for (let r = 0; r <= ROUNDS; r++) {
    const t0 = cpuMicros();
    for (let i = 0; i < N; i++) {
      one(i);
      if (i % 50 === 49) await turn();
    }
    await turn();
    if (r > 0) rounds.push((cpuMicros() - t0) / N); // round 0 warms up
  }
  rounds.sort((a, b) => a - b);
  return rounds[Math.floor(rounds.length / 2)];
}

const noop = () => {};
// Every action the machine names, doing nothing: what is measured is xstate's own work.
const logic = connectionMachine.provide({
  actions: Object.fromEntries(
    Object.keys(connectionMachine.implementations.actions).map((name) => [name, noop]),
  ),
});
const host = createFailureParent("connections", noop);

const session = (i) => ({
  connId: `0190f3a2-7c1e-7000-8000-${String(i).padStart(12, "0")}`,
  remoteAddress: "127.0.0.1",
  role: "operator",
  scopes: ["operator.read"],
  caps: [],
  client: { id: "bench", version: "1.0.0", platform: "linux", mode: "backend", instanceId: `i${i}` },
});

const parts = [];

parts.push([
  "connection actor (create, start, 3 events, final)",
  await measure((i) => {
    const actor = createActor(logic, { id: `connection:${i}`, input: String(i), parent: host });
    actor.start();
    actor.send({ type: "CONNECT_RECEIVED", requestId: "1", params: {} });
    actor.send({ type: "AUTHENTICATED", requestId: "1", session: null });
    actor.send({ type: "SOCKET_CLOSED", code: 1000 });
  }),
]);

const dir = mkdtempSync(path.join(tmpdir(), "coderclaw-parts-"));
const logger = createLogger({
  file: path.join(dir, "gateway.log"),
  level: "info",
  verbose: false,
  console: withConsole,
  maxFileBytes: 10 * 1024 * 1024,
  maxFiles: 2,
  secrets: () => ["bench-secret-token"],
});
const activity = new ActivityLog(logger, () => null);
parts.push([
  `activity log, connect + disconnect lines (file${withConsole ? " and stdout" : ""})`,
  await measure((i) => {
    const s = session(i);
    activity.connected(s);
    activity.disconnected({
      connId: s.connId,
      session: s,
      openedAt: Date.now() - 1500,
      closeRequest: null,
      socketClose: { code: 1000, reason: "" },
      remoteAddress: "127.0.0.1",
    });
  }),
]);
await logger.close();

const snapshot = loadConfig(path.join(dir, "none.json"));
const entries = Array.from({ length: 50 }, (_, i) => ({
  key: `i${i}`,
  host: "bench",
  ip: "127.0.0.1",
  version: "1.0.0",
  platform: "linux",
  mode: "backend",
  roles: ["operator"],
  scopes: ["operator.read"],
  instanceId: `i${i}`,
  ts: Date.now(),
}));
const helloOk = new HelloOk({
  version: "0.0.0",
  startedAt: Date.now(),
  configPath: "/home/user/.coderclaw/coderclaw.json",
  stateDir: "/home/user/.coderclaw",
  authMode: "token",
  config: () => snapshot.config,
  methods: Array.from({ length: 80 }, (_, i) => `method.${i}`),
  presence: () => ({ version: 1, entries, total: 50 }),
  health: () => ({ version: 1, summary: { ok: true } }),
});
parts.push([
  "hello-ok frame (50 presence entries, shared part cached)",
  await measure((i) => helloOk.frame(String(i), session(i))),
]);

rmSync(dir, { recursive: true, force: true });
host.stop();
const width = Math.max(...parts.map(([label]) => label.length));
process.stderr.write(`CPU per connection (median of ${ROUNDS} rounds of ${N}):\n`);
for (const [label, micros] of parts)
  process.stderr.write(`  ${label.padEnd(width)}  ${micros.toFixed(1).padStart(6)} µs\n`);
