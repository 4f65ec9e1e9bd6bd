import { Flags } from "@oclif/core";
import { connectionFlags } from "./base-command.js";
import { MAX_DURATION_MS } from "../protocol/duration.js";

export const TIMEOUT_FLAG_ERROR = "--timeout must be a positive integer (milliseconds)";
export const TIMEOUT_FLAG_TOO_LARGE = `--timeout must be at most ${MAX_DURATION_MS} (milliseconds)`;

/** `--timeout <ms>` as text, so a bad value gets the reference wording instead of oclif's. */
export function timeoutFlag(defaultMs: number) {
  return Flags.string({ description: "Timeout in milliseconds.", default: String(defaultMs) });
}

/** `--url`, `--token`, `--password`, `--timeout <ms>` for commands that talk to a gateway. */
export function rpcFlags(defaultTimeoutMs: number) {
  return { ...connectionFlags, timeout: timeoutFlag(defaultTimeoutMs) };
}

/** The milliseconds in a `--timeout` value, or why it is not a positive integer within the duration bound. */
export function parseTimeoutMs(value: string): number | { error: string } {
  const text = value.trim();
  const ms = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(ms > 0)) return { error: TIMEOUT_FLAG_ERROR };
  return ms > MAX_DURATION_MS ? { error: TIMEOUT_FLAG_TOO_LARGE } : ms;
}
