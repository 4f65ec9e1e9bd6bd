import fs from "node:fs";
import path from "node:path";
import { secretSourceLabel } from "../config/gateway-secrets.js";
import type { GatewayAuth } from "../transport/auth.js";
import { isLoopbackHost } from "../transport/net.js";
import { lockPathFor, parseJsonObject, parseProcStartTime } from "./instance-lock.js";

/**
 * Where a running gateway actually listens and how it authenticates, written next to its instance
 * lock (`<tmpdir>/coderclaw-<uid>/gateway.<hash>.json`, 0600). Clients read it to find the gateway
 * when no flag or env var names one. It never holds a secret, only where the secret came from.
 */
export interface GatewayRuntimeRecord {
  pid: number;
  /** /proc start tick of `pid` (Linux): a recycled pid does not make a dead gateway look alive. */
  startTime?: number;
  /** ISO time the instance became ready. */
  startedAt: string;
  port: number;
  /** The bind mode (`loopback`, `lan`, …) the instance resolved. */
  bind: string;
  /** The hosts actually bound (`127.0.0.1`, `::1`; `0.0.0.0` for lan). */
  addresses: string[];
  tls: { enabled: boolean; fingerprint?: string };
  /** `source`: where the secret came from (`config gateway.auth.token`, `env CODERCLAW_GATEWAY_TOKEN`, …). */
  auth: { mode: string; source: string | null };
  configPath: string;
  stateDir: string;
  version: string;
}

export function runtimeRecordPathFor(configPath: string): string {
  return lockPathFor(configPath).replace(/\.lock$/, ".json");
}

/** Written atomically (temp file + rename) so a reader never sees half a record. */
export function writeRuntimeRecord(record: GatewayRuntimeRecord): string {
  const file = runtimeRecordPathFor(record.configPath);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
  return file;
}

/** Removes the record if it is still this process's (another instance may have replaced it). */
export function removeRuntimeRecord(configPath: string, pid: number = process.pid): void {
  const file = runtimeRecordPathFor(configPath);
  if (parseRecord(readText(file))?.pid === pid) fs.rmSync(file, { force: true });
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return null;
  }
}

const isString = (value: unknown): value is string => typeof value === "string";

function parseRecord(raw: string | null): GatewayRuntimeRecord | null {
  const r = raw === null ? null : parseJsonObject(raw);
  if (r === null) return null;
  const tls = (typeof r.tls === "object" && r.tls !== null ? r.tls : {}) as Record<string, unknown>;
  const auth = (typeof r.auth === "object" && r.auth !== null ? r.auth : {}) as Record<string, unknown>;
  const positiveInt = (value: unknown, max: number) =>
    typeof value === "number" && Number.isSafeInteger(value) && value > 0 && value <= max;
  if (!positiveInt(r.pid, Number.MAX_SAFE_INTEGER) || !positiveInt(r.port, 65535)) return null;
  if (!Array.isArray(r.addresses) || !r.addresses.every(isString) || r.addresses.length === 0) return null;
  return {
    pid: r.pid as number,
    ...(typeof r.startTime === "number" ? { startTime: r.startTime } : {}),
    startedAt: isString(r.startedAt) ? r.startedAt : "",
    port: r.port as number,
    bind: isString(r.bind) ? r.bind : "loopback",
    addresses: r.addresses,
    tls: {
      enabled: tls.enabled === true,
      ...(isString(tls.fingerprint) ? { fingerprint: tls.fingerprint } : {}),
    },
    auth: {
      mode: isString(auth.mode) ? auth.mode : "none",
      source: isString(auth.source) ? auth.source : null,
    },
    configPath: isString(r.configPath) ? r.configPath : "",
    stateDir: isString(r.stateDir) ? r.stateDir : "",
    version: isString(r.version) ? r.version : "",
  };
}

/**
 * Clients send their secret where the record points, so only a record this user wrote counts: the
 * file and its directory belong to us and nobody else may write the directory.
 */
function trustedLocation(file: string): boolean {
  const uid = process.getuid?.();
  if (uid === undefined) return true;
  try {
    const dir = fs.statSync(path.dirname(file));
    const own = fs.statSync(file);
    return dir.uid === uid && own.uid === uid && (dir.mode & 0o022) === 0 && (own.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/** Whether the record's process still runs as this user (same pid, same start time where the OS tells). */
function ownerAlive(record: GatewayRuntimeRecord): boolean {
  try {
    process.kill(record.pid, 0);
  } catch {
    // ESRCH: gone; EPERM: another user's process, which is not our gateway.
    return false;
  }
  if (record.startTime === undefined || process.platform !== "linux") return true;
  const stat = readText(`/proc/${record.pid}/stat`);
  const live = stat === null ? undefined : parseProcStartTime(stat);
  return live === undefined || live === record.startTime;
}

/** The record of the gateway running with this config, or null (none, unreadable, or its process is gone). */
export function readRuntimeRecord(configPath: string): GatewayRuntimeRecord | null {
  const file = runtimeRecordPathFor(configPath);
  const record = parseRecord(readText(file));
  return record && trustedLocation(file) && ownerAlive(record) ? record : null;
}

/** Whether only this host can reach the gateway (every bound address is loopback). */
export function listensOnLoopbackOnly(record: GatewayRuntimeRecord): boolean {
  return record.addresses.every((address) => isLoopbackHost(address));
}

/** The host a local client dials: loopback when the gateway listens there (or on every interface). */
export function dialHost(record: GatewayRuntimeRecord): string {
  const { addresses } = record;
  if (addresses.includes("127.0.0.1") || addresses.includes("0.0.0.0")) return "127.0.0.1";
  if (addresses.includes("::1") || addresses.includes("::")) return "[::1]";
  const first = addresses[0] ?? "127.0.0.1";
  return first.includes(":") ? `[${first}]` : first;
}

/** The WebSocket URL a local client uses for this gateway. */
export function runtimeRecordUrl(record: GatewayRuntimeRecord): string {
  return `${record.tls.enabled ? "wss" : "ws"}://${dialHost(record)}:${record.port}`;
}

/** Where the secret the gateway checks came from (the record's `auth.source`); null when it has none. */
export function authSourceLabel(auth: GatewayAuth, generatedToken: boolean): string | null {
  if (auth.mode === "trusted-proxy") return "trusted proxy (gateway.auth.trustedProxy)";
  if (auth.mode === "password" && auth.passwordSource)
    return secretSourceLabel("password", auth.passwordSource);
  if (auth.mode === "token" && auth.tokenSource)
    return secretSourceLabel(
      "token",
      generatedToken && auth.tokenSource === "config" ? "generated" : auth.tokenSource,
    );
  return null;
}
