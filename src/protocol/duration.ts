import { Type } from "@sinclair/typebox";

/**
 * The longest duration a client may send: 2^31 − 1 ms (about 24.8 days), the longest delay a Node
 * timer holds. A longer one would fire at once (TimeoutOverflowWarning), so it is refused, not clamped.
 */
export const MAX_DURATION_MS = 2_147_483_647;
export const MAX_DURATION_SECONDS = Math.floor(MAX_DURATION_MS / 1_000);

/** A duration in milliseconds, from `minimum` (0 unless given) up to MAX_DURATION_MS. */
export function DurationMs(minimum = 0) {
  return Type.Integer({ minimum, maximum: MAX_DURATION_MS });
}

/** A duration in whole seconds, from `minimum` (0 unless given) up to MAX_DURATION_SECONDS. */
export function DurationSeconds(minimum = 0) {
  return Type.Integer({ minimum, maximum: MAX_DURATION_SECONDS });
}

/** Why `value` is not a duration of `unit`s ≥ `minimum` within the bound, or null when it is one. */
export function durationProblem(value: unknown, minimum: number, unit: "ms" | "s" = "ms"): string | null {
  const maximum = unit === "ms" ? MAX_DURATION_MS : MAX_DURATION_SECONDS;
  if (!Number.isInteger(value) || (value as number) < minimum) {
    return minimum === 0
      ? "must be a non-negative integer"
      : minimum === 1
        ? "must be a positive integer"
        : `must be an integer of at least ${minimum}`;
  }
  if ((value as number) > maximum) return `must be at most ${maximum} (${unit === "ms" ? "ms" : "seconds"})`;
  return null;
}
