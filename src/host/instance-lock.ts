import { createHash } from "node:crypto";
import { mkdir, open, readFile, stat, unlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export interface InstanceLockPayload {
  pid: number;
  createdAt: string;
  configPath: string;
  startTime?: number;
}

export interface InstanceLock {
  path: string;
  release(): Promise<void>;
}

export interface AcquireInstanceLockOptions {
  configPath: string;
  timeoutMs?: number;
  pollMs?: number;
  staleMs?: number;
}

export class GatewayLockError extends Error {
  readonly code = "GATEWAY_LOCK_TIMEOUT";

  constructor(
    readonly pid: number | undefined,
    readonly timeoutMs: number,
    readonly lockPath: string,
  ) {
    super(`gateway already running (pid ${pid ?? "unknown"}); lock timeout after ${timeoutMs}ms`);
    this.name = "GatewayLockError";
  }
}

export function lockPathFor(configPath: string): string {
  const uid = process.getuid?.() ?? "user";
  const hash = createHash("sha1").update(configPath).digest("hex").slice(0, 8);
  return path.join(os.tmpdir(), `coderclaw-${uid}`, `gateway.${hash}.lock`);
}

/** Field 22 (starttime, in clock ticks since boot) of /proc/<pid>/stat; undefined off Linux or if unreadable. */
export async function readProcessStartTime(pid: number): Promise<number | undefined> {
  if (process.platform !== "linux") return undefined;
  let raw: string;
  try {
    raw = await readFile(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  return parseProcStartTime(raw);
}

/** The start time (field 22) in the text of a /proc/<pid>/stat file. */
export function parseProcStartTime(raw: string): number | undefined {
  // comm (field 2) may contain spaces and parens, so fields are counted from the last ')'.
  const close = raw.lastIndexOf(")");
  if (close < 0) return undefined;
  const rest = raw
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const value = Number(rest[22 - 3]);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** The JSON object in a file we wrote (lock, runtime record); null for anything else, as a torn write. */
export function parseJsonObject(raw: string): Record<string, unknown> | null {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return null;
  }
  return typeof data === "object" && data !== null && !Array.isArray(data)
    ? (data as Record<string, unknown>)
    : null;
}

function parsePayload(raw: string): InstanceLockPayload | null {
  const data = parseJsonObject(raw);
  if (data === null) return null;
  const { pid, createdAt, configPath, startTime } = data;
  if (typeof pid !== "number" || !Number.isSafeInteger(pid) || pid <= 0) return null;
  return {
    pid,
    createdAt: typeof createdAt === "string" ? createdAt : "",
    configPath: typeof configPath === "string" ? configPath : "",
    ...(typeof startTime === "number" ? { startTime } : {}),
  };
}

async function readRaw(lockPath: string): Promise<string | null> {
  try {
    return await readFile(lockPath, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

export async function readInstanceLock(configPath: string): Promise<InstanceLockPayload | null> {
  const raw = await readRaw(lockPathFor(configPath));
  return raw === null ? null : parsePayload(raw);
}

async function isOwnerAlive(payload: InstanceLockPayload): Promise<boolean> {
  try {
    process.kill(payload.pid, 0);
  } catch (err) {
    // EPERM means the pid exists but belongs to someone else.
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  if (payload.startTime === undefined) return true;
  const live = await readProcessStartTime(payload.pid);
  // A different start time means the pid was recycled by an unrelated process.
  return live === undefined || live === payload.startTime;
}

async function unlinkQuiet(lockPath: string): Promise<void> {
  try {
    await unlink(lockPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
}

/** Removes the lock only if it still holds exactly the content we judged stale, narrowing the reclaim race. */
async function reclaim(lockPath: string, judged: string): Promise<void> {
  if ((await readRaw(lockPath)) === judged) await unlinkQuiet(lockPath);
}

async function tryCreate(lockPath: string, payload: InstanceLockPayload): Promise<boolean> {
  let handle;
  try {
    handle = await open(lockPath, "wx", 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
  try {
    await handle.writeFile(JSON.stringify(payload));
  } catch (err) {
    await handle.close().catch(() => undefined);
    await unlinkQuiet(lockPath);
    throw err;
  }
  await handle.close();
  return true;
}

export async function acquireInstanceLock(options: AcquireInstanceLockOptions): Promise<InstanceLock> {
  const { configPath, timeoutMs = 5000, pollMs = 100, staleMs = 30000 } = options;
  const lockPath = lockPathFor(configPath);
  if (process.env.CODERCLAW_ALLOW_MULTI_GATEWAY === "1") {
    return { path: lockPath, release: async () => undefined };
  }

  await mkdir(path.dirname(lockPath), { recursive: true, mode: 0o700 });
  const startTime = await readProcessStartTime(process.pid);
  const payload: InstanceLockPayload = {
    pid: process.pid,
    createdAt: new Date().toISOString(),
    configPath,
    ...(startTime !== undefined ? { startTime } : {}),
  };

  const started = Date.now();
  let holderPid: number | undefined;
  for (;;) {
    if (await tryCreate(lockPath, payload)) return makeLock(lockPath, payload);

    const raw = await readRaw(lockPath);
    if (raw === null) continue;
    const existing = parsePayload(raw);
    if (existing) {
      holderPid = existing.pid;
      if (!(await isOwnerAlive(existing))) {
        await reclaim(lockPath, raw);
        continue;
      }
    } else {
      // Unparseable: possibly a writer between create and write, so only reclaim once clearly stale.
      const info = await stat(lockPath).catch(() => null);
      if (info && Date.now() - info.mtimeMs > staleMs) {
        await reclaim(lockPath, raw);
        continue;
      }
    }

    const remaining = timeoutMs - (Date.now() - started);
    if (remaining <= 0) throw new GatewayLockError(holderPid, timeoutMs, lockPath);
    await sleep(Math.min(pollMs, remaining));
  }
}

function makeLock(lockPath: string, payload: InstanceLockPayload): InstanceLock {
  let released = false;
  return {
    path: lockPath,
    async release() {
      if (released) return;
      released = true;
      const raw = await readRaw(lockPath).catch(() => null);
      const current = raw === null ? null : parsePayload(raw);
      if (current?.pid !== payload.pid || current.createdAt !== payload.createdAt) return;
      await unlinkQuiet(lockPath);
    },
  };
}
