import { ACCOUNT_ID, CHANNEL_ID } from "./channels.js";
import { SENSITIVE_PATHS } from "./schema.js";

export const REDACTED = "__CODERCLAW_REDACTED__";

/** Request headers that never carry a credential; every other provider header is treated as secret. */
const HARMLESS_HEADERS: ReadonlySet<string> = new Set([
  "accept",
  "accept-encoding",
  "accept-language",
  "cache-control",
  "content-type",
  "http-referer",
  "openai-beta",
  "user-agent",
  "x-title",
]);

const SENSITIVE = new Set(SENSITIVE_PATHS);

/** Channel keys that hold credentials, at `channels.<id>` and `channels.<id>.accounts.<account>`. */
const CHANNEL_SECRET_KEYS: ReadonlySet<string> = new Set([
  "botToken",
  "webhookSecret",
  "password",
  "nickserv.password",
]);

/** Whether `rest` (the path below `channels`) names a channel or account credential. */
function isChannelSecret(rest: readonly string[]): boolean {
  const [id, ...below] = rest;
  if (id === undefined || !CHANNEL_ID.test(id)) return false;
  if (below[0] === "accounts") {
    const account = below[1];
    if (account === undefined || !ACCOUNT_ID.test(account)) return false;
    return CHANNEL_SECRET_KEYS.has(below.slice(2).join("."));
  }
  return CHANNEL_SECRET_KEYS.has(below.join("."));
}

/** Whether the value at `path` (config keys from the root) is a secret as a whole. */
function isSecretPath(path: readonly string[]): boolean {
  if (SENSITIVE.has(path.join("."))) return true;
  if (path[0] === "channels") return isChannelSecret(path.slice(1));
  if (path[0] !== "providers" || path.length < 3) return false;
  const field = path[2];
  if (path.length === 3) return field === "apiKey";
  if (path.length === 4 && field === "env") return true;
  if (path.length === 4 && field === "headers")
    return !HARMLESS_HEADERS.has((path[3] as string).toLowerCase());
  return false;
}

const URL_USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#@]*)@/i;

/** A URL with its userinfo (`user:password@`) replaced by the marker; other text unchanged. */
export function redactUrl(text: string): string {
  return text.replace(URL_USERINFO, (match, scheme: string, userinfo: string) =>
    userinfo === "" ? match : `${scheme}${REDACTED}@`,
  );
}

function redactString(path: readonly string[], value: string): string {
  if (value === "") return value;
  return isSecretPath(path) ? REDACTED : redactUrl(value);
}

function redactNode(node: unknown, path: string[]): unknown {
  if (typeof node === "string") return redactString(path, node);
  if (Array.isArray(node)) return node.map((item, index) => redactNode(item, [...path, String(index)]));
  if (typeof node !== "object" || node === null) return node;
  // fromEntries defines own keys: no key of the input can reach a prototype of the copy.
  return Object.fromEntries(
    Object.entries(node).map(([key, child]) => [key, redactNode(child, [...path, key])]),
  );
}

/**
 * A copy with every secret replaced by the marker, for every read path (config.get, status, the CLI,
 * doctor): schema-sensitive keys, provider API keys, command env values, provider headers outside a
 * short harmless list, and the userinfo of any URL.
 */
export function redactConfig<T extends object>(config: T): T {
  return redactNode(config, []) as T;
}

/** Every secret string in `config`, as written (for the logger's masking). */
export function configSecretValues(config: object): string[] {
  const found: string[] = [];
  const visit = (node: unknown, path: string[]) => {
    if (typeof node === "string") {
      if (node === "") return;
      if (isSecretPath(path)) found.push(node);
      const userinfo = URL_USERINFO.exec(node)?.[2];
      if (userinfo) found.push(userinfo);
    } else if (typeof node === "object" && node !== null) {
      for (const [key, child] of Object.entries(node)) visit(child, [...path, key]);
    }
  };
  visit(config, []);
  return found;
}

export interface RestoreProblem {
  path: string;
  message: string;
}

/**
 * The inverse for writes: a client that round-trips redacted output sends the marker back, and the
 * secret stored at that path is kept. A marker where nothing redacts to it is a problem, never stored.
 */
export function restoreRedacted(
  next: Record<string, unknown>,
  current: Record<string, unknown>,
): { config: Record<string, unknown>; problems: RestoreProblem[] } {
  const problems: RestoreProblem[] = [];
  const restore = (node: unknown, stored: unknown, path: string[]): unknown => {
    if (typeof node === "string") {
      if (!node.includes(REDACTED)) return node;
      if (typeof stored === "string" && redactString(path, stored) === node) return stored;
      problems.push({
        path: path.join("."),
        message: "holds the redaction marker but no secret is stored there; send the real value",
      });
      return node;
    }
    if (typeof node !== "object" || node === null) return node;
    const storedNode =
      typeof stored === "object" && stored !== null ? (stored as Record<string, unknown>) : {};
    const pick = (key: string) => (Object.hasOwn(storedNode, key) ? storedNode[key] : undefined);
    if (Array.isArray(node))
      return node.map((item, index) => restore(item, pick(String(index)), [...path, String(index)]));
    return Object.fromEntries(
      Object.entries(node).map(([key, child]) => [key, restore(child, pick(key), [...path, key])]),
    );
  };
  return { config: restore(next, current, []) as Record<string, unknown>, problems };
}
