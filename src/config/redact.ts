import { ACCOUNT_ID, CHANNEL_ID } from "./channels.js";
import { SENSITIVE_PATHS } from "./schema.js";
import { getAtPath, setAtPath } from "./write.js";

export const REDACTED = "__CODERCLAW_REDACTED__";

const SECRET_HEADERS = /^(authorization|x-api-key|api-key)$/i;
/** Channel keys that hold credentials, at `channels.<id>` and `channels.<id>.accounts.<account>`. */
const CHANNEL_SECRET_KEYS = ["botToken", "webhookSecret", "password", "nickserv.password"];

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function channelSecretPaths(channels: unknown): string[] {
  if (!isRecord(channels)) return [];
  const paths: string[] = [];
  for (const [id, section] of Object.entries(channels)) {
    if (!CHANNEL_ID.test(id) || !isRecord(section)) continue;
    for (const key of CHANNEL_SECRET_KEYS) paths.push(`channels.${id}.${key}`);
    if (!isRecord(section.accounts)) continue;
    for (const account of Object.keys(section.accounts).filter((name) => ACCOUNT_ID.test(name)))
      for (const key of CHANNEL_SECRET_KEYS) paths.push(`channels.${id}.accounts.${account}.${key}`);
  }
  return paths;
}

/** Every secret-bearing path set in `config`: the schema's sensitive keys, provider API keys and auth headers. */
function secretPaths(config: Record<string, unknown>): string[] {
  const paths = [...SENSITIVE_PATHS, ...channelSecretPaths(config.channels)];
  const providers = config.providers;
  if (typeof providers !== "object" || providers === null) return paths;
  for (const [name, entry] of Object.entries(providers as Record<string, unknown>)) {
    if (typeof entry !== "object" || entry === null) continue;
    const { headers } = entry as { headers?: unknown };
    paths.push(`providers.${name}.apiKey`);
    if (typeof headers !== "object" || headers === null) continue;
    for (const header of Object.keys(headers)) {
      if (SECRET_HEADERS.test(header)) paths.push(`providers.${name}.headers.${header}`);
    }
  }
  return paths;
}

/** A copy with every secret that is set replaced by a marker (for config.get, status, the CLI). */
export function redactConfig<T extends object>(config: T): T {
  let result = config as unknown as Record<string, unknown>;
  for (const secretPath of secretPaths(result)) {
    const value = getAtPath(result, secretPath);
    if (typeof value === "string" && value !== "") result = setAtPath(result, secretPath, REDACTED);
  }
  return result as unknown as T;
}

/** The inverse for writes: a client that round-trips redacted output sends the marker back; keep the secret. */
export function restoreRedacted(
  next: Record<string, unknown>,
  current: Record<string, unknown>,
): Record<string, unknown> {
  let result = next;
  for (const secretPath of secretPaths(next)) {
    if (getAtPath(result, secretPath) === REDACTED)
      result = setAtPath(result, secretPath, getAtPath(current, secretPath));
  }
  return result;
}
