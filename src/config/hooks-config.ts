/** `hooks.*` in coderclaw.json: the webhook endpoints under `hooks.path`. */
export type WakeMode = "now" | "next-heartbeat";

/** One `hooks.mappings` entry: which `POST <path>/<name>` it answers and the action its templates render. */
export interface HookMappingConfig {
  id?: string;
  match?: { path?: string; source?: string };
  action?: "wake" | "agent";
  wakeMode?: WakeMode;
  name?: string;
  agentId?: string;
  sessionKey?: string;
  /** `agent` action: the run's message. */
  messageTemplate?: string;
  /** `wake` action: the system event's text. */
  textTemplate?: string;
  deliver?: boolean;
  channel?: string;
  to?: string;
  model?: string;
  timeoutSeconds?: number;
}

export interface HooksConfig {
  enabled: boolean;
  path: string;
  token: string | null;
  maxBodyBytes: number;
  /** Agents a request may name with `agentId`; null allows any configured agent, `"*"` too. */
  allowedAgentIds: string[] | null;
  allowRequestSessionKey: boolean;
  allowedSessionKeyPrefixes: string[];
  defaultSessionKey: string | null;
  mappings: HookMappingConfig[];
}

export const DEFAULT_HOOKS_PATH = "/hooks";
export const DEFAULT_HOOKS_MAX_BODY_BYTES = 256 * 1024;
/** The longest `timeoutSeconds` a hook may ask for (one hour). */
export const MAX_HOOK_TIMEOUT_SECONDS = 3_600;
/** A channel id as channels name themselves (`irc`, `telegram`), or `last`. */
export const CHANNEL_ID = /^[a-z][a-z0-9-]{0,31}$/;

/** `hooks.path` without its trailing slashes (`/hooks/` serves `/hooks`). */
export function hooksBasePath(path: string): string {
  return path.replace(/\/+$/, "");
}

/** Why a `hooks.path` cannot be used, or null. */
export function hooksPathProblem(path: string): string | null {
  if (!path.startsWith("/")) return 'must start with "/"';
  if (hooksBasePath(path) === "") return 'must not be "/" (hooks need a dedicated sub-path)';
  if (path.split("/").some((segment) => segment === "..")) return 'must not contain ".."';
  if (/[\s?#%\\]/.test(path)) return "must not contain whitespace, ?, #, % or \\";
  return null;
}

export const isSessionKeyAllowed = (key: string, prefixes: readonly string[]) =>
  prefixes.length === 0 || prefixes.some((prefix) => key.startsWith(prefix));

type Issue = { path: string; message: string };

const MAPPING_KEYS = new Set([
  "id",
  "match",
  "action",
  "wakeMode",
  "name",
  "agentId",
  "sessionKey",
  "messageTemplate",
  "textTemplate",
  "deliver",
  "channel",
  "to",
  "model",
  "timeoutSeconds",
]);
const STRING_KEYS = [
  "id",
  "name",
  "agentId",
  "sessionKey",
  "messageTemplate",
  "textTemplate",
  "to",
  "model",
] as const;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Problems with one mapping, each with its path under `hooks.mappings[<index>]`. */
function mappingIssues(entry: unknown, index: number, prefixes: readonly string[]): Issue[] {
  const at = (key: string) => `hooks.mappings.${index}${key ? `.${key}` : ""}`;
  if (!isPlainObject(entry)) return [{ path: at(""), message: "must be an object" }];
  const issues: Issue[] = [];
  for (const key of Object.keys(entry)) {
    if (!MAPPING_KEYS.has(key)) issues.push({ path: at(key), message: "unknown key" });
  }
  for (const key of STRING_KEYS) {
    if (entry[key] !== undefined && typeof entry[key] !== "string")
      issues.push({ path: at(key), message: "must be a string" });
  }
  const match = entry.match;
  if (match !== undefined) {
    if (!isPlainObject(match)) issues.push({ path: at("match"), message: "must be an object" });
    else {
      for (const [key, value] of Object.entries(match)) {
        if (key !== "path" && key !== "source")
          issues.push({ path: at(`match.${key}`), message: "unknown key" });
        else if (typeof value !== "string" || value.trim() === "")
          issues.push({ path: at(`match.${key}`), message: "must be a non-empty string" });
      }
    }
  }
  const action = entry.action ?? "agent";
  if (action !== "wake" && action !== "agent")
    issues.push({ path: at("action"), message: 'must be "wake" or "agent"' });
  if (entry.wakeMode !== undefined && entry.wakeMode !== "now" && entry.wakeMode !== "next-heartbeat")
    issues.push({ path: at("wakeMode"), message: 'must be "now" or "next-heartbeat"' });
  if (entry.deliver !== undefined && typeof entry.deliver !== "boolean")
    issues.push({ path: at("deliver"), message: "must be a boolean" });
  if (entry.channel !== undefined && (typeof entry.channel !== "string" || !CHANNEL_ID.test(entry.channel)))
    issues.push({ path: at("channel"), message: 'must be "last" or a channel id' });
  const timeout = entry.timeoutSeconds;
  if (
    timeout !== undefined &&
    (!Number.isInteger(timeout) || (timeout as number) < 1 || (timeout as number) > MAX_HOOK_TIMEOUT_SECONDS)
  )
    issues.push({
      path: at("timeoutSeconds"),
      message: `must be an integer from 1 to ${MAX_HOOK_TIMEOUT_SECONDS}`,
    });
  const template = action === "wake" ? "textTemplate" : "messageTemplate";
  if (typeof entry[template] !== "string" || (entry[template] as string).trim() === "")
    issues.push({ path: at(template), message: `required for a "${action}" mapping` });
  if (typeof entry.sessionKey === "string" && !isSessionKeyAllowed(entry.sessionKey, prefixes))
    issues.push({
      path: at("sessionKey"),
      message: `must start with one of: ${prefixes.join(", ")} (hooks.allowedSessionKeyPrefixes)`,
    });
  return issues;
}

/**
 * What the schema's per-key formats cannot see: the token a hook endpoint needs (present, and not the
 * gateway's own secret), the path, and the mapping entries. `parsed` is the file as written.
 */
export function hooksIssues(parsed: Record<string, unknown>): Issue[] {
  const hooks = parsed.hooks;
  if (!isPlainObject(hooks)) return [];
  const issues: Issue[] = [];
  const token = typeof hooks.token === "string" ? hooks.token.trim() : "";
  if (hooks.enabled === true && token === "")
    issues.push({
      path: "hooks.token",
      message: "required when hooks.enabled is true (a secret of its own)",
    });
  const gateway = isPlainObject(parsed.gateway) ? parsed.gateway : {};
  const auth = isPlainObject(gateway.auth) ? gateway.auth : {};
  if (token !== "" && (token === auth.token || token === auth.password))
    issues.push({ path: "hooks.token", message: "must differ from the gateway's token and password" });
  if (typeof hooks.path === "string") {
    const problem = hooksPathProblem(hooks.path);
    if (problem) issues.push({ path: "hooks.path", message: problem });
  }
  const prefixes = Array.isArray(hooks.allowedSessionKeyPrefixes)
    ? hooks.allowedSessionKeyPrefixes.filter((prefix): prefix is string => typeof prefix === "string")
    : [];
  if (prefixes.some((prefix) => prefix === ""))
    issues.push({ path: "hooks.allowedSessionKeyPrefixes", message: "must not contain an empty prefix" });
  if (typeof hooks.defaultSessionKey === "string") {
    if (hooks.defaultSessionKey.trim() === "")
      issues.push({ path: "hooks.defaultSessionKey", message: "must not be empty" });
    else if (!isSessionKeyAllowed(hooks.defaultSessionKey, prefixes))
      issues.push({
        path: "hooks.defaultSessionKey",
        message: "must start with one of hooks.allowedSessionKeyPrefixes",
      });
  } else if (prefixes.length > 0 && !isSessionKeyAllowed("hook:", prefixes)) {
    issues.push({
      path: "hooks.allowedSessionKeyPrefixes",
      message: 'must include "hook:" when hooks.defaultSessionKey is unset (generated keys are hook:<uuid>)',
    });
  }
  if (Array.isArray(hooks.mappings)) {
    hooks.mappings.forEach((entry, index) => issues.push(...mappingIssues(entry, index, prefixes)));
  }
  return issues;
}

export const hookMappingList = (value: unknown) => {
  if (!Array.isArray(value)) throw new Error("must be an array of mappings");
};
