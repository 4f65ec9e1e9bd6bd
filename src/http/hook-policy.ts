import { randomUUID } from "node:crypto";
import { isSessionKeyAllowed, type HooksConfig } from "../config/hooks-config.js";
import type { Normalized } from "./hook-actions.js";

/** A rendered mapping may put request text into a key: keys stay short enough to list and log. */
const MAX_SESSION_KEY_CHARS = 512;

export const AGENT_NOT_ALLOWED = "agentId is not allowed by hooks.allowedAgentIds";
export const SESSION_KEY_DISABLED =
  "sessionKey is disabled for external /hooks/agent payloads; set hooks.allowRequestSessionKey=true to enable";

/** `hooks.allowedAgentIds`: unset (or `"*"`) lets a hook name any agent; a hook that names none is always allowed. */
export function agentAllowed(hooks: HooksConfig, agentId: string | undefined): boolean {
  const allowed = hooks.allowedAgentIds;
  return agentId === undefined || allowed === null || allowed.includes("*") || allowed.includes(agentId);
}

/**
 * The session of a hook's agent run: the one the request names (only with `hooks.allowRequestSessionKey`)
 * or its mapping names, else `hooks.defaultSessionKey`, else a fresh `hook:<uuid>`; always within
 * `hooks.allowedSessionKeyPrefixes`.
 */
export function hookSessionKey(
  hooks: HooksConfig,
  requested: string | undefined,
  source: "request" | "mapping",
): Normalized<string> {
  if (requested !== undefined && source === "request" && !hooks.allowRequestSessionKey)
    return { ok: false, error: SESSION_KEY_DISABLED };
  const key = requested ?? hooks.defaultSessionKey ?? `hook:${randomUUID()}`;
  if (key.length > MAX_SESSION_KEY_CHARS)
    return { ok: false, error: `sessionKey must be at most ${MAX_SESSION_KEY_CHARS} characters` };
  const prefixes = hooks.allowedSessionKeyPrefixes;
  return isSessionKeyAllowed(key, prefixes)
    ? { ok: true, value: key }
    : { ok: false, error: `sessionKey must start with one of: ${prefixes.join(", ")}` };
}
