import { Flags } from "@oclif/core";
import { connectionFlags } from "./base-command.js";

export const TIMEOUT_FLAG_ERROR = "--timeout must be a positive integer (milliseconds)";

/** `--timeout <ms>` as text, so a bad value gets the reference wording instead of oclif's. */
export function timeoutFlag(defaultMs: number) {
  return Flags.string({ description: "Timeout in milliseconds.", default: String(defaultMs) });
}

/** `--url`, `--token`, `--password`, `--timeout <ms>` for commands that talk to a gateway. */
export function rpcFlags(defaultTimeoutMs: number) {
  return { ...connectionFlags, timeout: timeoutFlag(defaultTimeoutMs) };
}

/** The milliseconds in a `--timeout` value, or null when it is not a positive integer. */
export function parseTimeoutMs(value: string): number | null {
  const text = value.trim();
  if (!/^\d+$/.test(text)) return null;
  const ms = Number(text);
  return Number.isSafeInteger(ms) && ms > 0 ? ms : null;
}
