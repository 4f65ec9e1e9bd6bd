import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import { setTimeout as sleep } from "node:timers/promises";

export type ReadyzProbe =
  | { kind: "ready"; state: string; startedAt?: number }
  | { kind: "not-ready"; state: string; status: number }
  | { kind: "unreachable"; error: string };

/**
 * One `GET /readyz`: 200 ready, 503 with the lifecycle state, anything else unreachable. A plain
 * probe that meets a TLS-only gateway (its 400) asks again over https. The certificate is not
 * checked here: the answer is a lifecycle state, and no credential is sent.
 */
export async function probeReadyz(
  host: string,
  port: number,
  timeoutMs = 1_000,
  tls = false,
): Promise<ReadyzProbe> {
  const probe = await getReadyz(host, port, timeoutMs, tls);
  if (!tls && probe.kind === "unreachable" && probe.tlsOnly) return getReadyz(host, port, timeoutMs, true);
  return probe;
}

function getReadyz(
  host: string,
  port: number,
  timeoutMs: number,
  tls: boolean,
): Promise<ReadyzProbe & { tlsOnly?: boolean }> {
  return new Promise((resolve) => {
    const options = { host, port, path: "/readyz", timeout: timeoutMs, agent: false };
    const get = tls
      ? (callback: (res: http.IncomingMessage) => void) =>
          https.get({ ...options, rejectUnauthorized: false }, callback)
      : (callback: (res: http.IncomingMessage) => void) => http.get(options, callback);
    const req = get((res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => {
        let state = "unknown";
        let startedAt: number | undefined;
        try {
          const parsed = JSON.parse(body) as { state?: unknown; startedAt?: unknown };
          state = String(parsed.state ?? "unknown");
          if (typeof parsed.startedAt === "number") startedAt = parsed.startedAt;
        } catch {
          // not our gateway, or a truncated body
        }
        if (res.statusCode === 200)
          resolve({ kind: "ready", state, ...(startedAt === undefined ? {} : { startedAt }) });
        else if (res.statusCode === 503) resolve({ kind: "not-ready", state, status: 503 });
        else
          resolve({
            kind: "unreachable",
            error: `unexpected HTTP ${res.statusCode} from /readyz`,
            ...(res.statusCode === 400 && /serves TLS only/.test(body) ? { tlsOnly: true } : {}),
          });
      });
      res.on("error", (error) => resolve({ kind: "unreachable", error: error.message }));
    });
    req.on("timeout", () => req.destroy(new Error(`timeout after ${timeoutMs}ms`)));
    req.on("error", (error: NodeJS.ErrnoException) =>
      resolve({ kind: "unreachable", error: error.code ?? error.message }),
    );
  });
}

const TAIL_BYTES = 256 * 1024;

/**
 * The last `limit` error entries of a JSON-lines gateway log written at or after `since` (ms);
 * non-JSON lines are skipped. Each entry reads `[subsystem] message`.
 */
export function recentLogErrors(logFile: string, since = 0, limit = 5): string[] {
  let text: string;
  try {
    const fd = fs.openSync(logFile, "r");
    try {
      const size = fs.fstatSync(fd).size;
      const length = Math.min(size, TAIL_BYTES);
      const buffer = Buffer.alloc(length);
      fs.readSync(fd, buffer, 0, length, size - length);
      text = buffer.toString("utf8");
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return [];
  }
  const errors: string[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    let entry: { level?: unknown; message?: unknown; subsystem?: unknown; timestamp?: unknown };
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    if (entry.level !== "error") continue;
    const at = typeof entry.timestamp === "string" ? Date.parse(entry.timestamp) : NaN;
    if (Number.isFinite(at) && at < since) continue;
    const subsystem = typeof entry.subsystem === "string" ? `[${entry.subsystem}] ` : "";
    errors.push(`${subsystem}${String(entry.message ?? "")}`);
  }
  return errors.slice(-limit);
}

export type ReadinessOutcome = "ready" | "still-starting" | "crashed";

export interface ReadinessResult {
  outcome: ReadinessOutcome;
  url: string;
  /** The last lifecycle state the gateway reported (`starting`, `ready`, ...), if it answered at all. */
  state: string | null;
  elapsedMs: number;
  /** Error entries the gateway logged since the wait began. */
  errors: string[];
  /** Why it counts as crashed (`process exited`, `port closed`). */
  detail?: string;
}

export interface WaitForReadinessOptions {
  port: number;
  host?: string;
  /** The gateway serves https/wss (`gateway.tls.enabled`). */
  tls?: boolean;
  timeoutMs?: number;
  intervalMs?: number;
  /** Whether the gateway process (or service) is still up; undefined when that cannot be told. */
  isAlive?: () => Promise<boolean | undefined>;
  /** With no liveness information, a port still closed after this long counts as crashed. */
  settleMs?: number;
  logFile?: string;
  /** Log errors before this time (ms) belong to an earlier instance. */
  since?: number;
  onProgress?: (progress: { elapsedMs: number; state: string | null }) => void;
}

/**
 * Waits for a freshly (re)started gateway: polls `GET /readyz` every 250 ms until it answers 200
 * (`ready`), the process is gone or its port closed for good (`crashed`), or the time is up while it
 * still reports a state such as `starting` (`still-starting`).
 */
export async function waitForReadiness(options: WaitForReadinessOptions): Promise<ReadinessResult> {
  const host = options.host ?? "127.0.0.1";
  const url = `${options.tls ? "wss" : "ws"}://${host.includes(":") ? `[${host}]` : host}:${options.port}`;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const intervalMs = options.intervalMs ?? 250;
  const settleMs = options.settleMs ?? 2_000;
  const started = Date.now();
  const since = options.since ?? started;
  const errors = () => (options.logFile ? recentLogErrors(options.logFile, since) : []);
  let state: string | null = null;
  let answered = false;
  for (;;) {
    const elapsedMs = () => Date.now() - started;
    const probe = await probeReadyz(
      host,
      options.port,
      Math.min(1_000, Math.max(250, timeoutMs - elapsedMs())),
      options.tls,
    );
    if (probe.kind === "ready")
      return { outcome: "ready", url, state: probe.state, elapsedMs: elapsedMs(), errors: [] };
    if (probe.kind === "not-ready") {
      state = probe.state;
      answered = true;
    } else {
      const alive = await options.isAlive?.();
      if (alive === false) {
        return {
          outcome: "crashed",
          url,
          state,
          elapsedMs: elapsedMs(),
          errors: errors(),
          detail: "process exited",
        };
      }
      // Without a process to watch, a port that answered and went away, or never opened, means it died.
      if (alive === undefined && (answered || elapsedMs() >= settleMs)) {
        return {
          outcome: "crashed",
          url,
          state,
          elapsedMs: elapsedMs(),
          errors: errors(),
          detail: "port closed",
        };
      }
    }
    options.onProgress?.({ elapsedMs: elapsedMs(), state });
    if (elapsedMs() >= timeoutMs) {
      return { outcome: "still-starting", url, state, elapsedMs: elapsedMs(), errors: errors() };
    }
    await sleep(Math.min(intervalMs, Math.max(0, timeoutMs - elapsedMs())));
  }
}

/** Whether a pid exists (EPERM counts: it exists, it is someone else's). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
