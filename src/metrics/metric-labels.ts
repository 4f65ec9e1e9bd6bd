import { ErrorCodes, GATEWAY_EVENTS, KNOWN_CLIENT_MODES } from "../protocol/index.js";

/**
 * Label values come from fixed sets only: a value a client chose (a method name, a client mode, an
 * error message) is mapped to one of a few known values, so no client can grow the number of series.
 */

const CONNECTION_STATES = new Set(["awaiting-connect", "challenged", "ready", "closing", "closed"]);
const CLIENT_MODES = new Set<string>(KNOWN_CLIENT_MODES);
const EVENT_NAMES = new Set<string>(GATEWAY_EVENTS);
const ERROR_CODES = new Set<string>(Object.values(ErrorCodes));
const CHANNEL_ACCOUNT_STATES = new Set([
  "checking",
  "disabled",
  "unconfigured",
  "starting",
  "running",
  "reconnecting",
  "stopping",
  "stopped",
]);
const RELOAD_OUTCOMES = new Set(["applied", "restarting", "ignored", "invalid", "disabled", "failed"]);

const oneOf = (known: ReadonlySet<string>, value: unknown, otherwise: string): string =>
  typeof value === "string" && known.has(value) ? value : otherwise;

export const connectionStateLabel = (state: unknown) => oneOf(CONNECTION_STATES, state, "other");

/** `none` before the handshake names one; `other` for a mode the protocol does not list. */
export const clientModeLabel = (mode: string | undefined) =>
  mode === undefined ? "none" : oneOf(CLIENT_MODES, mode, "other");

export const eventLabel = (event: string) => oneOf(EVENT_NAMES, event, "other");

/** An RPC outcome: `ok`, or the protocol error code of the failure. */
export const rpcOutcomeLabel = (code: string | undefined) =>
  code === undefined ? "ok" : oneOf(ERROR_CODES, code, "error");

export const channelAccountStateLabel = (state: unknown) => oneOf(CHANNEL_ACCOUNT_STATES, state, "other");

export const reloadOutcomeLabel = (status: string) => oneOf(RELOAD_OUTCOMES, status, "other");

/** What a refused handshake is counted as (REFERENCE §5.2/§5.3 messages, in the order they are checked). */
export interface RefusedHandshake {
  code: number;
  reason: string;
  error?: { code: string; message: string; details?: unknown };
}

const AUTH_FAILURE = /^unauthorized: gateway (token|password) (missing|mismatch|not configured)/;

export function handshakeFailureReason(rejection: RefusedHandshake): string {
  const error = rejection.error;
  if (!error) return rejection.code === 1011 ? "internal" : "invalid_frame";
  const message = error.message;
  if ((error.details as { reason?: unknown } | undefined)?.reason === "starting") return "starting";
  if (error.code === ErrorCodes.NOT_PAIRED) return "device_required";
  if (message.startsWith("invalid handshake")) return "not_connect";
  if (message.startsWith("invalid connect params")) return "invalid_params";
  if (message === "protocol mismatch") return "protocol_mismatch";
  if (message === "invalid role") return "invalid_role";
  if (message.startsWith("origin not allowed")) return "origin_not_allowed";
  if (message.startsWith("device ")) return "device_invalid";
  if (message.includes("too many failed authentication attempts")) return "rate_limited";
  const auth = AUTH_FAILURE.exec(message);
  if (auth) return `${auth[1]}_${auth[2] === "not configured" ? "not_configured" : auth[2]}`;
  if (message.startsWith("unauthorized")) return "unauthorized";
  return "other";
}

/** `crash` for a restart after a failure; otherwise what asked for it (the supervisor's cause text). */
export function restartKindLabel(cause: string, crashes: number): string {
  if (crashes > 0) return "crash";
  if (cause.startsWith("config change")) return "config";
  if (cause.startsWith("received SIG")) return "signal";
  return "request";
}

/** A run's end, from its last `lifecycle` event: ok, error, aborted, timeout or interrupted. */
export function runOutcomeLabel(data: Record<string, unknown>): string {
  if (data.phase === "error") return "error";
  if (data.aborted !== true) return "ok";
  return data.stopReason === "timeout" || data.stopReason === "interrupted" ? data.stopReason : "aborted";
}
