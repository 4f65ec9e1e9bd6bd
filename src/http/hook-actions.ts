import { CHANNEL_ID, MAX_HOOK_TIMEOUT_SECONDS, type WakeMode } from "../config/hooks-config.js";

/** A system event for the main session (`POST <path>/wake`, or a mapping with `action: "wake"`). */
export interface WakeAction {
  kind: "wake";
  text: string;
  mode: WakeMode;
}

/** An agent run (`POST <path>/agent`, or a mapping with `action: "agent"`). */
export interface AgentAction {
  kind: "agent";
  message: string;
  /** Names the hook in the summary posted to the main session. */
  name: string;
  agentId?: string;
  /** How the summary wakes the main session. */
  wakeMode: WakeMode;
  sessionKey?: string;
  deliver: boolean;
  /** `last` or a channel id. */
  channel: string;
  to?: string;
  model?: string;
  timeoutSeconds?: number;
}

export type HookAction = WakeAction | AgentAction;

export type Normalized<T> = { ok: true; value: T } | { ok: false; error: string };

const DEFAULT_HOOK_NAME = "Hook";
const MAX_NAME_CHARS = 200;

const trimmed = (value: unknown): string | undefined =>
  typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;

function wakeModeOf(value: unknown, field: string): Normalized<WakeMode> {
  if (value === undefined) return { ok: true, value: "now" };
  if (value === "now" || value === "next-heartbeat") return { ok: true, value };
  return { ok: false, error: `${field} must be now|next-heartbeat` };
}

/** `{text, mode?}`: the text is required, the mode defaults to `now`. */
export function normalizeWake(body: Record<string, unknown>): Normalized<WakeAction> {
  const text = trimmed(body.text);
  if (!text) return { ok: false, error: "text required" };
  const mode = wakeModeOf(body.mode, "mode");
  return mode.ok ? { ok: true, value: { kind: "wake", text, mode: mode.value } } : mode;
}

/**
 * The fields of an agent hook, checked one by one (a request body or a rendered mapping): every
 * string optional but `message`, `deliver` a boolean (default true), `timeoutSeconds` bounded.
 */
export function normalizeAgent(body: Record<string, unknown>): Normalized<AgentAction> {
  const message = trimmed(body.message);
  if (!message) return { ok: false, error: "message required" };
  for (const field of ["name", "agentId", "sessionKey", "channel", "to", "model", "thinking"]) {
    if (body[field] !== undefined && typeof body[field] !== "string")
      return { ok: false, error: `${field} must be a string` };
  }
  const wakeMode = wakeModeOf(body.wakeMode, "wakeMode");
  if (!wakeMode.ok) return wakeMode;
  if (body.deliver !== undefined && typeof body.deliver !== "boolean")
    return { ok: false, error: "deliver must be a boolean" };
  const channel = trimmed(body.channel) ?? "last";
  if (!CHANNEL_ID.test(channel)) return { ok: false, error: "channel must be last or a channel id" };
  if (body.model !== undefined && !trimmed(body.model)) return { ok: false, error: "model required" };
  const timeout = body.timeoutSeconds;
  if (
    timeout !== undefined &&
    (!Number.isInteger(timeout) || (timeout as number) < 1 || (timeout as number) > MAX_HOOK_TIMEOUT_SECONDS)
  ) {
    return { ok: false, error: `timeoutSeconds must be an integer from 1 to ${MAX_HOOK_TIMEOUT_SECONDS}` };
  }
  return {
    ok: true,
    value: {
      kind: "agent",
      message,
      name: (trimmed(body.name) ?? DEFAULT_HOOK_NAME).slice(0, MAX_NAME_CHARS),
      agentId: trimmed(body.agentId),
      wakeMode: wakeMode.value,
      sessionKey: trimmed(body.sessionKey),
      deliver: body.deliver !== false,
      channel,
      to: trimmed(body.to),
      model: trimmed(body.model),
      timeoutSeconds: timeout as number | undefined,
    },
  };
}
