// Starting and stopping the servers under test. Every child is registered so that it is killed on any exit.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { setTimeout, clearTimeout } from "node:timers";

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_DIR = path.resolve(BENCH_DIR, "..");

/** Live children and temp dirs; cleaned up by stopAll() and, synchronously, on process exit. */
const live = new Set();
const tempDirs = new Set();

function killAllSync() {
  for (const server of live) {
    try {
      server.child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
  live.clear();
  for (const dir of tempDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }
  tempDirs.clear();
}

let handlersInstalled = false;
export function installExitHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on("exit", killAllSync);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.on(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping servers\n`);
      killAllSync();
      process.exit(130);
    });
  }
}

/** Resident set size of a process in bytes (VmRSS from /proc/<pid>/status). */
export function readRss(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

/** CPU time (user + system) a process has used so far, in microseconds (from /proc/<pid>/stat). */
export function readCpuMicros(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may contain spaces) start after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
  return (ticks * 1e6) / CLOCK_TICKS;
}
const CLOCK_TICKS = 100; // sysconf(_SC_CLK_TCK) on Linux

/**
 * A spawned server. `port` resolves when the listening line appears, `ready` when the server says it accepts
 * connections. `t0` is performance.now() just before spawn().
 */
class Server {
  constructor({ kind, command, args, env, cwd, portPattern, readyPattern, pidPattern, token, home }) {
    this.kind = kind;
    this.token = token;
    this.home = home;
    this.stdoutTail = "";
    this.stderrTail = "";
    this.exitCode = undefined;
    this.exitSignal = undefined;
    this.port = undefined;
    this.pid = undefined;
    this.t0 = performance.now();
    this.child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    this.pid = this.child.pid;
    live.add(this);

    let resolvePort, rejectPort, resolveReady, rejectReady;
    this.portPromise = new Promise((res, rej) => ((resolvePort = res), (rejectPort = rej)));
    this.readyPromise = new Promise((res, rej) => ((resolveReady = res), (rejectReady = rej)));
    // Avoid unhandled rejections when nobody awaits one of them.
    this.portPromise.catch(() => {});
    this.readyPromise.catch(() => {});
    this.exited = new Promise((res) => {
      this.child.once("exit", (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        live.delete(this);
        const err = new Error(
          `${kind} exited early (code ${code}, signal ${signal}): ${this.describeOutput()}`,
        );
        rejectPort(err);
        rejectReady(err);
        res();
      });
    });
    this.child.once("error", (err) => {
      rejectPort(err);
      rejectReady(err);
    });

    // Always drain both pipes: the gateway logs every connection to stdout and a full pipe would stall it.
    let buffer = "";
    this.child.stdout.setEncoding("utf8");
    this.child.stdout.on("data", (chunk) => {
      this.stdoutTail = (this.stdoutTail + chunk).slice(-4000);
      if (this.port !== undefined && this.readyMatched) return;
      buffer += chunk;
      let nl;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const portMatch = this.port === undefined ? portPattern.exec(line) : null;
        if (portMatch) {
          this.port = Number(portMatch[1]);
          const pidMatch = pidPattern?.exec(line);
          if (pidMatch) this.reportedPid = Number(pidMatch[1]);
          resolvePort(this.port);
        }
        if (!this.readyMatched && readyPattern.test(line)) {
          this.readyMatched = true;
          resolveReady(performance.now());
        }
      }
    });
    this.child.stderr.setEncoding("utf8");
    this.child.stderr.on("data", (chunk) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-4000);
    });
  }

  describeOutput() {
    const out = this.stdoutTail.trim().split("\n").slice(-5).join(" | ");
    const err = this.stderrTail.trim().split("\n").slice(-5).join(" | ");
    return `stdout: ${out || "-"}; stderr: ${err || "-"}`;
  }

  /** The pid whose memory we read: the one the server reports, else the child's. */
  get rssPid() {
    return this.reportedPid ?? this.pid;
  }

  async waitPort(timeoutMs = 15000) {
    return withTimeout(this.portPromise, timeoutMs, `${this.kind}: no listening line within ${timeoutMs} ms`);
  }

  async waitReady(timeoutMs = 15000) {
    return withTimeout(this.readyPromise, timeoutMs, `${this.kind}: not ready within ${timeoutMs} ms`);
  }

  /** SIGTERM, then SIGKILL after graceMs. Resolves with {code, signal, ms}. */
  async stop(graceMs = 5000) {
    const start = performance.now();
    if (this.exitCode === undefined && this.exitSignal === undefined) {
      this.child.kill("SIGTERM");
      const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    if (this.home) {
      rmSync(this.home, { recursive: true, force: true });
      tempDirs.delete(this.home);
    }
    return { code: this.exitCode, signal: this.exitSignal, ms: performance.now() - start };
  }
}

function withTimeout(promise, ms, message) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function newToken() {
  return randomBytes(24).toString("hex");
}

/** The CoderClaw gateway from the build, with a throwaway HOME holding only its config. */
function spawnGateway({ nodeArgs = [], cwd = REPO_DIR } = {}) {
  const token = newToken();
  const home = mkdtempSync(path.join(tmpdir(), "coderclaw-bench-"));
  tempDirs.add(home);
  mkdirSync(path.join(home, ".coderclaw"), { recursive: true });
  writeFileSync(
    path.join(home, ".coderclaw", "coderclaw.json"),
    // echo with no delay: the agent section measures the gateway's run machinery, not a model.
    JSON.stringify({
      gateway: {
        mode: "local",
        auth: { token },
        http: { endpoints: { chatCompletions: { enabled: true } } },
        metrics: { enabled: true }, // read by bench/metrics.js
      },
      providers: { echo: { type: "echo", delayMs: 0 } },
    }),
  );
  return new Server({
    kind: "gateway",
    command: process.execPath,
    args: [...nodeArgs, path.join(REPO_DIR, "bin", "run.js"), "gateway", "--port", "0"],
    cwd,
    env: { HOME: home, PATH: process.env.PATH ?? "/usr/bin:/bin" },
    portPattern: /listening on ws:\/\/127\.0\.0\.1:(\d+)/,
    pidPattern: /\(PID (\d+)\)/,
    readyPattern: /gateway ready/,
    token,
    home,
  });
}

/** bench/baseline-server.js: bare Node http + ws. */
function spawnBaseline({ nodeArgs = [], cwd = REPO_DIR } = {}) {
  const token = newToken();
  return new Server({
    kind: "baseline",
    command: process.execPath,
    args: [...nodeArgs, path.join(BENCH_DIR, "baseline-server.js")],
    cwd,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", BENCH_TOKEN: token },
    portPattern: /^listening (\d+)/,
    readyPattern: /^listening \d+/,
    token,
  });
}

/** The systems under test, in report order. The first is the one checked against the targets. */
export const TARGETS = [
  { id: "gateway", label: "gateway", spawn: spawnGateway },
  { id: "baseline", label: "baseline", spawn: spawnBaseline },
];

/** Spawn and wait until the server says it is ready. */
export async function startReady(target, options) {
  const server = target.spawn(options);
  try {
    await server.waitPort();
    await server.waitReady();
    return server;
  } catch (err) {
    await server.stop(1000);
    throw err;
  }
}

/** Stop every live server (used in finally blocks). */
export async function stopAll() {
  await Promise.all([...live].map((s) => s.stop(2000)));
  killAllSync();
}
