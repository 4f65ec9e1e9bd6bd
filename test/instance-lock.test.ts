import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import {
  GatewayLockError,
  acquireInstanceLock,
  lockPathFor,
  readInstanceLock,
  readProcessStartTime,
} from "../src/host/instance-lock.js";
import type { InstanceLock, InstanceLockPayload } from "../src/host/instance-lock.js";
import { waitFor } from "./helpers/wait-for.js";

const children: ChildProcess[] = [];
const locks: InstanceLock[] = [];
const lockFiles: string[] = [];
const savedMulti = process.env.CODERCLAW_ALLOW_MULTI_GATEWAY;

function uniqueConfigPath(): string {
  const configPath = path.join(os.tmpdir(), `coderclaw-lock-test-${randomUUID()}`, "coderclaw.json");
  lockFiles.push(lockPathFor(configPath));
  return configPath;
}

async function acquire(configPath: string, timeoutMs = 300): Promise<InstanceLock> {
  const lock = await acquireInstanceLock({ configPath, timeoutMs, pollMs: 20 });
  locks.push(lock);
  return lock;
}

async function spawnIdle(): Promise<ChildProcess & { pid: number }> {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1e6)"], { stdio: "ignore" });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.once("spawn", resolve);
    child.once("error", reject);
  });
  return child as ChildProcess & { pid: number };
}

async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

async function writeLockFile(configPath: string, content: string): Promise<string> {
  const lockPath = lockPathFor(configPath);
  await mkdir(path.dirname(lockPath), { recursive: true, mode: 0o700 });
  await writeFile(lockPath, content, { mode: 0o600 });
  return lockPath;
}

async function writePayload(configPath: string, payload: InstanceLockPayload): Promise<void> {
  await writeLockFile(configPath, JSON.stringify(payload));
}

async function expectTimeout(promise: Promise<unknown>): Promise<GatewayLockError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayLockError);
  return err as GatewayLockError;
}

beforeEach(() => {
  delete process.env.CODERCLAW_ALLOW_MULTI_GATEWAY;
});

afterEach(async () => {
  if (savedMulti === undefined) delete process.env.CODERCLAW_ALLOW_MULTI_GATEWAY;
  else process.env.CODERCLAW_ALLOW_MULTI_GATEWAY = savedMulti;
  await Promise.all(children.splice(0).map(killAndWait));
  await Promise.all(locks.splice(0).map((lock) => lock.release().catch(() => undefined)));
  await Promise.all(lockFiles.splice(0).map((file) => rm(file, { force: true })));
});

describe("lockPathFor", () => {
  it("lives in the per-uid tmp dir and is keyed by the first 8 hex chars of sha1(configPath)", () => {
    const uid = process.getuid?.() ?? "user";
    const lockPath = lockPathFor("/etc/coderclaw/coderclaw.json");
    expect(path.dirname(lockPath)).toBe(path.join(os.tmpdir(), `coderclaw-${uid}`));
    expect(path.basename(lockPath)).toMatch(/^gateway\.[0-9a-f]{8}\.lock$/);
    expect(lockPathFor("/etc/coderclaw/coderclaw.json")).toBe(lockPath);
  });
});

describe("acquireInstanceLock", () => {
  it("creates a private lock file holding our pid, config path, ISO timestamp and start time", async () => {
    const configPath = uniqueConfigPath();
    const lock = await acquire(configPath);
    expect(lock.path).toBe(lockPathFor(configPath));

    const payload = JSON.parse(await readFile(lock.path, "utf8")) as InstanceLockPayload;
    expect(payload.pid).toBe(process.pid);
    expect(payload.configPath).toBe(configPath);
    expect(new Date(payload.createdAt).toISOString()).toBe(payload.createdAt);
    if (process.platform === "linux") {
      expect(payload.startTime).toBe(await readProcessStartTime(process.pid));
    }
    expect((await stat(lock.path)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(lock.path))).mode & 0o777).toBe(0o700);
    expect(await readInstanceLock(configPath)).toEqual(payload);
  });

  it("times out a second acquire for the same config path with the holder's pid", async () => {
    const configPath = uniqueConfigPath();
    await acquire(configPath);
    const started = Date.now();
    const err = await expectTimeout(acquire(configPath, 300));
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(err.message).toBe(`gateway already running (pid ${process.pid}); lock timeout after 300ms`);
    expect(err.code).toBe("GATEWAY_LOCK_TIMEOUT");
    expect(err.pid).toBe(process.pid);
  });

  it("times out while another live process holds the lock", async () => {
    const configPath = uniqueConfigPath();
    const child = await spawnIdle();
    const startTime = await readProcessStartTime(child.pid);
    await writePayload(configPath, {
      pid: child.pid,
      createdAt: new Date().toISOString(),
      configPath,
      ...(startTime !== undefined ? { startTime } : {}),
    });
    const err = await expectTimeout(acquire(configPath, 200));
    expect(err.message).toBe(`gateway already running (pid ${child.pid}); lock timeout after 200ms`);
    expect(err.pid).toBe(child.pid);
  });

  it("waits for the holder to exit and then takes the lock", async () => {
    const configPath = uniqueConfigPath();
    const child = await spawnIdle();
    await writePayload(configPath, { pid: child.pid, createdAt: new Date().toISOString(), configPath });
    const pending = acquire(configPath, 3000);
    setTimeout(() => child.kill("SIGKILL"), 150);
    const lock = await pending;
    expect((await readInstanceLock(configPath))?.pid).toBe(process.pid);
    expect(lock.path).toBe(lockPathFor(configPath));
  });

  it("does not collide across different config paths", async () => {
    const a = await acquire(uniqueConfigPath());
    const b = await acquire(uniqueConfigPath());
    expect(a.path).not.toBe(b.path);
    expect(existsSync(a.path)).toBe(true);
    expect(existsSync(b.path)).toBe(true);
  });

  it("reclaims a lock left by a dead pid", async () => {
    const configPath = uniqueConfigPath();
    const child = await spawnIdle();
    const deadPid = child.pid;
    await killAndWait(child);
    await writePayload(configPath, { pid: deadPid, createdAt: new Date().toISOString(), configPath });

    await acquire(configPath, 300);
    expect((await readInstanceLock(configPath))?.pid).toBe(process.pid);
  });

  it("reclaims a lock whose pid is alive but was recycled (start time differs)", async () => {
    if (process.platform !== "linux") return;
    const configPath = uniqueConfigPath();
    const child = await spawnIdle();
    const startTime = await readProcessStartTime(child.pid);
    expect(startTime).toEqual(expect.any(Number));
    await writePayload(configPath, {
      pid: child.pid,
      createdAt: new Date().toISOString(),
      configPath,
      startTime: (startTime ?? 0) + 12345,
    });

    await acquire(configPath, 300);
    expect((await readInstanceLock(configPath))?.pid).toBe(process.pid);
    expect(child.exitCode).toBeNull();
  });

  it("reclaims an unreadable lock file once it is older than staleMs", async () => {
    const configPath = uniqueConfigPath();
    const lockPath = await writeLockFile(configPath, "{not json");
    const old = new Date(Date.now() - 60_000);
    await utimes(lockPath, old, old);

    await acquireInstanceLock({ configPath, timeoutMs: 300, pollMs: 20, staleMs: 30_000 }).then((lock) =>
      locks.push(lock),
    );
    expect((await readInstanceLock(configPath))?.pid).toBe(process.pid);
  });

  it("waits on a fresh unreadable lock file instead of reclaiming it", async () => {
    const configPath = uniqueConfigPath();
    await writeLockFile(configPath, "");

    const err = await expectTimeout(acquire(configPath, 150));
    expect(err.code).toBe("GATEWAY_LOCK_TIMEOUT");
    expect(await readFile(lockPathFor(configPath), "utf8")).toBe("");
  });

  it("is skipped entirely when CODERCLAW_ALLOW_MULTI_GATEWAY=1", async () => {
    const configPath = uniqueConfigPath();
    const held = await acquire(configPath);
    process.env.CODERCLAW_ALLOW_MULTI_GATEWAY = "1";

    const bypass = await acquire(configPath, 100);
    expect(bypass.path).toBe(held.path);
    await bypass.release();
    expect((await readInstanceLock(configPath))?.pid).toBe(process.pid);
  });
});

describe("InstanceLock.release", () => {
  it("deletes the lock file and is idempotent", async () => {
    const configPath = uniqueConfigPath();
    const lock = await acquire(configPath);
    await lock.release();
    expect(existsSync(lock.path)).toBe(false);
    await expect(lock.release()).resolves.toBeUndefined();
    expect(await readInstanceLock(configPath)).toBeNull();
  });

  it("does not throw when the file is already gone", async () => {
    const configPath = uniqueConfigPath();
    const lock = await acquire(configPath);
    await rm(lock.path);
    await expect(lock.release()).resolves.toBeUndefined();
  });

  it("leaves a lock that now belongs to another process", async () => {
    const configPath = uniqueConfigPath();
    const child = await spawnIdle();
    const lock = await acquire(configPath);
    const foreign = { pid: child.pid, createdAt: new Date().toISOString(), configPath };
    await writeFile(lock.path, JSON.stringify(foreign));

    await lock.release();
    expect(await readInstanceLock(configPath)).toEqual(foreign);
  });

  it("leaves a newer lock of the same process after its own file was removed externally", async () => {
    const configPath = uniqueConfigPath();
    const first = await acquire(configPath);
    const firstCreatedAt = Date.parse((await readInstanceLock(configPath))!.createdAt);
    await rm(first.path);
    // The locks tell each other apart by createdAt (in ms): the second is made a millisecond later.
    await waitFor("the clock to pass the first lock's createdAt", () =>
      Date.now() > firstCreatedAt ? true : undefined,
    );
    const second = await acquire(configPath);

    await first.release();
    expect(existsSync(second.path)).toBe(true);
  });
});
