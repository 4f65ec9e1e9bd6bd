import fs from "node:fs";
import path from "node:path";
import JSON5 from "json5";
import type { ConfigIssue } from "../config/config-issue.js";
import { readConfigSnapshot, validateConfigObject } from "../config/load.js";
import { redactConfig, restoreRedacted } from "../config/redact.js";
import { resolveLogDir, resolveStateDir, type Env } from "../config/paths.js";
import { FORBIDDEN_KEY_MESSAGE, forbiddenKeyPath, isForbiddenKey } from "../config/safe-keys.js";
import { getAtPath, setAtPath, writeConfigFile } from "../config/write.js";

/** A dotted config key (`gateway.auth.token`): non-empty segments, nothing that reaches prototypes. */
export function isValidKeyPath(keyPath: string): boolean {
  const parts = keyPath.split(".");
  return parts.every((part) => part !== "" && !isForbiddenKey(part));
}

/** `config set` values: JSON5 when they parse (`19001`, `true`, `["a"]`), else the text itself. */
export function parseConfigValue(text: string): unknown {
  try {
    return JSON5.parse(text);
  } catch {
    return text;
  }
}

export type ConfigGetResult =
  | { found: true; value: unknown; configPath: string; fileValid: boolean }
  | { found: false; configPath: string; fileValid: boolean };

/**
 * The value at `keyPath` in the effective config (file over schema defaults). Secrets are
 * replaced by the redaction marker unless `showSecrets`.
 */
export function getConfigValue(
  configPath: string,
  keyPath: string,
  options: { showSecrets?: boolean } = {},
): ConfigGetResult {
  const snapshot = readConfigSnapshot(configPath);
  const fileValid = snapshot.valid;
  if (!isValidKeyPath(keyPath)) return { found: false, configPath, fileValid };
  // A valid file is read with its defaults filled in; an invalid one only as written.
  const value = getAtPath(fileValid ? snapshot.config : snapshot.parsed, keyPath);
  if (value === undefined) return { found: false, configPath, fileValid };
  if (options.showSecrets) return { found: true, value, configPath, fileValid };
  const redacted = getAtPath(redactConfig(setAtPath({}, keyPath, value)), keyPath);
  return { found: true, value: redacted, configPath, fileValid };
}

export type ConfigSetResult =
  | { ok: true; configPath: string }
  | {
      ok: false;
      configPath: string;
      reason: "invalid-path" | "unreadable" | "invalid";
      issues: ConfigIssue[];
    };

/**
 * Sets `keyPath` in the file as written (no defaults folded in), validates the whole result and
 * writes it atomically with a `.bak`; an invalid result leaves the file untouched.
 */
export function setConfigValue(
  configPath: string,
  keyPath: string,
  value: unknown,
  env: Env = process.env,
): ConfigSetResult {
  if (!isValidKeyPath(keyPath)) {
    const message = keyPath.split(".").some(isForbiddenKey) ? FORBIDDEN_KEY_MESSAGE : "invalid config path";
    return { ok: false, configPath, reason: "invalid-path", issues: [{ path: keyPath, message }] };
  }
  const forbidden = forbiddenKeyPath(value, keyPath);
  if (forbidden !== null) {
    const issues = [{ path: forbidden, message: FORBIDDEN_KEY_MESSAGE }];
    return { ok: false, configPath, reason: "invalid-path", issues };
  }
  let current: unknown = {};
  let raw: string | null = null;
  try {
    raw = fs.readFileSync(configPath, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      const message = `cannot read file: ${(error as Error).message}`;
      return { ok: false, configPath, reason: "unreadable", issues: [{ path: "", message }] };
    }
  }
  if (raw !== null && raw.trim() !== "") {
    try {
      current = JSON5.parse(raw);
    } catch (error) {
      const message = `JSON5 parse error: ${(error as Error).message}`;
      return { ok: false, configPath, reason: "unreadable", issues: [{ path: "", message }] };
    }
  }
  if (typeof current !== "object" || current === null || Array.isArray(current)) {
    const issues = [{ path: "", message: "config must be a JSON5 object" }];
    return { ok: false, configPath, reason: "unreadable", issues };
  }
  // A redacted value from `config get` written back keeps the stored secret.
  const restored = restoreRedacted(
    setAtPath(current as Record<string, unknown>, keyPath, value),
    current as Record<string, unknown>,
  );
  const next = restored.config;
  const { issues } =
    restored.problems.length > 0 ? { issues: restored.problems } : validateConfigObject(next);
  if (issues.length > 0) return { ok: false, configPath, reason: "invalid", issues };
  writeConfigFile(configPath, next, {
    auditLogPath: path.join(resolveLogDir(resolveStateDir(env)), "config-audit.jsonl"),
    source: "config set",
  });
  return { ok: true, configPath };
}
