import { execFile } from "node:child_process";
import { constants as fsConstants } from "node:fs";
import { access, readdir, readFile, readlink } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export interface PortListener {
  pid: number;
  command: string;
  address: string;
  user?: string;
}

export type ListenerSource = "auto" | "lsof" | "proc";

export interface FindPortListenersOptions {
  /** "auto" uses lsof when it is on PATH and /proc otherwise. */
  source?: ListenerSource;
}

export interface ForceFreePortOptions extends FindPortListenersOptions {
  timeoutMs?: number;
  intervalMs?: number;
  sigtermMs?: number;
  log?: (line: string) => void;
}

export interface ForceFreePortResult {
  killed: PortListener[];
  escalated: boolean;
  waitedMs: number;
}

export class PortOwnerError extends Error {
  constructor(
    readonly code: "FORCE_FAILED" | "FORCE_KILL_FAILED" | "LSOF_NOT_FOUND",
    message: string,
    readonly pids: number[] = [],
  ) {
    super(message);
    this.name = "PortOwnerError";
  }
}

async function findExecutable(name: string): Promise<string | null> {
  const dirs = (process.env.PATH ?? "").split(path.delimiter).filter(Boolean);
  for (const dir of [...dirs, "/usr/sbin", "/sbin", "/usr/bin"]) {
    const candidate = path.join(dir, name);
    try {
      await access(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

function runLsof(lsof: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      lsof,
      ["-nP", `-iTCP:${port}`, "-sTCP:LISTEN", "-FpcLn"],
      { timeout: 5000, maxBuffer: 4 * 1024 * 1024 },
      (err, stdout) => {
        // lsof exits 1 when nothing matched.
        if (err && err.code !== 1) reject(err);
        else resolve(stdout);
      },
    );
  });
}

function parseLsof(output: string): PortListener[] {
  const found: PortListener[] = [];
  let pid = 0;
  let command = "";
  let user: string | undefined;
  for (const line of output.split("\n")) {
    const tag = line[0];
    const value = line.slice(1);
    if (tag === "p") {
      pid = Number(value);
      command = "";
      user = undefined;
    } else if (tag === "c") {
      command = value;
    } else if (tag === "L") {
      user = value;
    } else if (tag === "n" && pid > 0) {
      found.push({ pid, command, address: value, ...(user !== undefined ? { user } : {}) });
    }
  }
  return found;
}

function hexBytes(hex: string): number[] {
  const bytes: number[] = [];
  for (let i = 0; i + 1 < hex.length; i += 2) bytes.push(parseInt(hex.slice(i, i + 2), 16));
  return bytes;
}

/** /proc/net prints each 32-bit word of the address in host byte order. */
function wordsToNetworkOrder(hex: string): number[] {
  const bytes: number[] = [];
  for (let i = 0; i < hex.length; i += 8) {
    const word = hexBytes(hex.slice(i, i + 8));
    bytes.push(...(os.endianness() === "LE" ? word.reverse() : word));
  }
  return bytes;
}

function formatIpv6(bytes: number[]): string {
  const isMapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (isMapped) return `::ffff:${bytes.slice(12).join(".")}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

export function decodeProcNetAddress(field: string): string {
  const [ipHex = "", portHex = "0"] = field.split(":");
  const port = parseInt(portHex, 16);
  const bytes = wordsToNetworkOrder(ipHex);
  if (bytes.length === 4) return `${bytes.join(".")}:${port}`;
  return `[${formatIpv6(bytes)}]:${port}`;
}

interface ProcSocket {
  address: string;
  uid: string;
}

async function listeningInodes(port: number): Promise<Map<string, ProcSocket>> {
  const inodes = new Map<string, ProcSocket>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      const [, local, , state, , , , uid, , inode] = cols;
      if (!local || state !== "0A" || !inode || inode === "0" || uid === undefined) continue;
      if (parseInt(local.split(":")[1] ?? "", 16) !== port) continue;
      inodes.set(inode, { address: decodeProcNetAddress(local), uid });
    }
  }
  return inodes;
}

async function userNames(): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  try {
    for (const line of (await readFile("/etc/passwd", "utf8")).split("\n")) {
      const [name, , uid] = line.split(":");
      if (name && uid) names.set(uid, name);
    }
  } catch {
    // names are best-effort
  }
  return names;
}

async function readCommand(pid: number): Promise<string> {
  try {
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, "utf8")).replace(/\0/g, " ").trim();
    if (cmdline) return cmdline;
    return (await readFile(`/proc/${pid}/comm`, "utf8")).trim();
  } catch {
    return "";
  }
}

async function findViaProc(port: number): Promise<PortListener[]> {
  const inodes = await listeningInodes(port);
  if (inodes.size === 0) return [];
  const names = await userNames();
  let entries: string[];
  try {
    entries = await readdir("/proc");
  } catch {
    return [];
  }
  const found: PortListener[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    let fds: string[];
    try {
      fds = await readdir(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = await readlink(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const match = /^socket:\[(\d+)\]$/.exec(target);
      const socket = match?.[1] !== undefined ? inodes.get(match[1]) : undefined;
      if (!socket) continue;
      const key = `${pid} ${socket.address}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const user = names.get(socket.uid) ?? socket.uid;
      found.push({ pid, command: await readCommand(pid), address: socket.address, user });
    }
  }
  return found;
}

export async function findPortListeners(
  port: number,
  options: FindPortListenersOptions = {},
): Promise<PortListener[]> {
  const source = options.source ?? "auto";
  if (source !== "proc") {
    const lsof = await findExecutable("lsof");
    if (lsof) {
      try {
        return parseLsof(await runLsof(lsof, port));
      } catch (err) {
        if (source === "lsof" || process.platform !== "linux") throw err;
      }
    } else if (source === "lsof" || process.platform !== "linux") {
      throw new PortOwnerError("LSOF_NOT_FOUND", "lsof not found; required for --force");
    }
  }
  return findViaProc(port);
}

function uniquePids(listeners: PortListener[]): PortListener[] {
  const byPid = new Map<number, PortListener>();
  for (const l of listeners) if (l.pid !== process.pid && !byPid.has(l.pid)) byPid.set(l.pid, l);
  return [...byPid.values()];
}

/** Returns false when the pid was already gone. */
function signal(listener: PortListener, sig: NodeJS.Signals): boolean {
  try {
    process.kill(listener.pid, sig);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw new PortOwnerError(
      "FORCE_KILL_FAILED",
      `failed to kill pid ${listener.pid} (${listener.command}): ${(err as Error).message}`,
      [listener.pid],
    );
  }
}

export async function forceFreePort(
  port: number,
  options: ForceFreePortOptions = {},
): Promise<ForceFreePortResult> {
  const { timeoutMs = 2000, intervalMs = 100, sigtermMs = 700, log, source } = options;
  const list = () => findPortListeners(port, { source });
  const initial = await list();
  if (initial.length === 0) {
    log?.(`force: no listeners on port ${port}`);
    return { killed: [], escalated: false, waitedMs: 0 };
  }

  const killed: PortListener[] = [];
  for (const listener of uniquePids(initial)) {
    if (signal(listener, "SIGTERM")) {
      killed.push(listener);
      log?.(`force: killed pid ${listener.pid} (${listener.command}) on port ${port}`);
    }
  }

  const started = Date.now();
  const waitUntil = async (budgetMs: number): Promise<PortListener[]> => {
    for (;;) {
      const remaining = await list();
      if (remaining.length === 0) return remaining;
      const left = budgetMs - (Date.now() - started);
      if (left <= 0) return remaining;
      await sleep(Math.min(intervalMs, left));
    }
  };

  let remaining = await waitUntil(Math.min(sigtermMs, timeoutMs));
  let escalated = false;
  if (remaining.length > 0) {
    const targets = uniquePids(remaining);
    if (targets.length > 0) {
      escalated = true;
      log?.(`force: escalated to SIGKILL while freeing port ${port}`);
      for (const listener of targets) signal(listener, "SIGKILL");
    }
    remaining = await waitUntil(timeoutMs);
  }

  const waitedMs = Date.now() - started;
  if (remaining.length > 0) {
    const pids = [...new Set(remaining.map((l) => l.pid))];
    throw new PortOwnerError(
      "FORCE_FAILED",
      `port ${port} still has listeners after --force: ${pids.join(", ")}`,
      pids,
    );
  }
  log?.(`force: waited ${waitedMs}ms for port ${port} to free`);
  return { killed, escalated, waitedMs };
}

export function isPortFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}
