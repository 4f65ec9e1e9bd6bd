import fs from "node:fs";
import path from "node:path";
import { hashConfigText } from "./load.js";
import { FORBIDDEN_KEY_MESSAGE, isForbiddenKey } from "./safe-keys.js";

export interface ConfigWriteOptions {
  /** Where to append the audit record; skipped when absent. */
  auditLogPath?: string;
  source?: string;
}

/** A config file that could not be written: names it, the reason, and what to do. */
export class ConfigWriteError extends Error {
  readonly code = "CONFIG_WRITE_FAILED";
  constructor(
    readonly configPath: string,
    cause: unknown,
  ) {
    // Node's text is `EROFS: read-only file system, open '<temp file>'`: keep the reason, drop the temp path.
    const reason = String((cause as Error)?.message ?? cause).split(", ")[0];
    super(
      `cannot write ${configPath} (${reason}). Make ${path.dirname(configPath)} writable by this user, or set CODERCLAW_CONFIG_PATH to a writable path.`,
    );
  }
}

/**
 * Temp file (0600) → copy of the current file to `<path>.bak` → rename over the original, so a
 * crash at any point leaves either the old or the new config, never half of one.
 */
export function writeConfigFile(
  configPath: string,
  config: Record<string, unknown>,
  options: ConfigWriteOptions = {},
): string {
  const text = `${JSON.stringify(config, null, 2)}\n`;
  const dir = path.dirname(configPath);
  const tempPath = path.join(dir, `.${path.basename(configPath)}.${process.pid}.${Date.now()}.tmp`);
  let result: "rename" | "failed" = "failed";
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(tempPath, text, { mode: 0o600 });
    if (fs.existsSync(configPath)) {
      // copyFile keeps the source's mode, which may predate us: the backup is private either way.
      fs.copyFileSync(configPath, `${configPath}.bak`);
      fs.chmodSync(`${configPath}.bak`, 0o600);
    }
    fs.renameSync(tempPath, configPath);
    result = "rename";
  } catch (error) {
    throw new ConfigWriteError(configPath, error);
  } finally {
    if (result === "failed") fs.rmSync(tempPath, { force: true });
    if (options.auditLogPath) appendAudit(options.auditLogPath, configPath, result, options.source);
  }
  return hashConfigText(text);
}

function appendAudit(auditLogPath: string, configPath: string, result: string, source = "config-io"): void {
  try {
    fs.mkdirSync(path.dirname(auditLogPath), { recursive: true, mode: 0o700 });
    const record = {
      ts: new Date().toISOString(),
      source,
      event: "config.write",
      result,
      configPath,
      pid: process.pid,
    };
    fs.appendFileSync(auditLogPath, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  } catch {
    // The audit trail is best effort; the config write itself already succeeded or threw.
  }
}

/**
 * Returns a copy of `target` with `value` set at the dotted `keyPath`, creating objects on the way.
 * Throws on a forbidden segment (callers refuse those first, with the request's own error).
 */
export function setAtPath(
  target: Record<string, unknown>,
  keyPath: string,
  value: unknown,
): Record<string, unknown> {
  const parts = keyPath.split(".");
  if (parts.some(isForbiddenKey)) throw new Error(`invalid config path ${keyPath}: ${FORBIDDEN_KEY_MESSAGE}`);
  const copy = structuredClone(target);
  let node: Record<string, unknown> = copy;
  for (const part of parts.slice(0, -1)) {
    const next = Object.hasOwn(node, part) ? node[part] : undefined;
    if (typeof next !== "object" || next === null || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1] as string] = value;
  return copy;
}

export function getAtPath(target: unknown, keyPath: string): unknown {
  let node: unknown = target;
  for (const part of keyPath.split(".")) {
    if (typeof node !== "object" || node === null || !Object.hasOwn(node, part)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}
