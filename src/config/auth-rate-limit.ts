import { durationProblem } from "../protocol/duration.js";

/**
 * `gateway.auth.rateLimit`: failed shared-secret attempts per client IP. The limiter exists only when
 * the object is present in the config (`{}` turns it on with the defaults), as upstream.
 */
export interface AuthRateLimitConfig {
  maxAttempts?: number;
  windowMs?: number;
  lockoutMs?: number;
  exemptLoopback?: boolean;
}

export type AuthRateLimitSettings = Required<AuthRateLimitConfig>;

export const AUTH_RATE_LIMIT_DEFAULTS: AuthRateLimitSettings = {
  maxAttempts: 10,
  windowMs: 60_000,
  lockoutMs: 300_000,
  exemptLoopback: true,
};

const PATH = "gateway.auth.rateLimit";

/** Problems with `gateway.auth.rateLimit`, each with its path (empty when valid or absent). */
export function authRateLimitIssues(value: unknown): Array<{ path: string; message: string }> {
  // Absent, null, or not an object at all (the schema's format reports that one).
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [];
  const issues: Array<{ path: string; message: string }> = [];
  for (const [key, field] of Object.entries(value)) {
    const path = `${PATH}.${key}`;
    if (key === "exemptLoopback") {
      if (typeof field !== "boolean") issues.push({ path, message: "must be a boolean" });
    } else if (key === "windowMs" || key === "lockoutMs") {
      const problem = durationProblem(field, 1);
      if (problem) issues.push({ path, message: problem });
    } else if (key in AUTH_RATE_LIMIT_DEFAULTS) {
      if (!Number.isInteger(field) || (field as number) <= 0)
        issues.push({ path, message: "must be a positive integer" });
    } else {
      issues.push({ path, message: "unknown key" });
    }
  }
  return issues;
}

/** The configured limits with defaults filled in, or null when no limiter is configured. */
export function authRateLimitSettings(value: AuthRateLimitConfig | null): AuthRateLimitSettings | null {
  return value === null ? null : { ...AUTH_RATE_LIMIT_DEFAULTS, ...value };
}
