import type { IncomingMessage } from "node:http";
import { AuthRateLimiter } from "../transport/auth-rate-limiter.js";
import { safeEqual } from "../transport/auth.js";

export const QUERY_TOKEN_REFUSED =
  "Hook token must be provided via Authorization: Bearer <token> or X-CoderClaw-Token header (query parameters are not allowed).";

/** REFERENCE §7.5: more than 20 failures in 60 s from one address are refused for a minute. Loopback too. */
const HOOK_RATE_LIMIT = { maxAttempts: 20, windowMs: 60_000, lockoutMs: 60_000, exemptLoopback: false };

export type HookAuthResult =
  { ok: true } | { ok: false; status: 401 } | { ok: false; status: 429; retryAfterSeconds: number };

/** The hook token of a request: `Authorization: Bearer <t>`, else `X-CoderClaw-Token: <t>`. */
export function hookTokenOf(req: IncomingMessage): string | undefined {
  const authorization = req.headers.authorization;
  const bearer = typeof authorization === "string" ? /^Bearer\s+(.+)$/i.exec(authorization.trim()) : null;
  if (bearer?.[1]?.trim()) return bearer[1].trim();
  const header = req.headers["x-coderclaw-token"];
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  return value || undefined;
}

/**
 * The hook token check with its own failure counter per client address (separate from the gateway's
 * limiter: a hook flood must not lock operators out, and the reverse). A missing token counts as a
 * failure too: hook callers are programs that always send one.
 */
export class HookAuth {
  private readonly limiter = new AuthRateLimiter(HOOK_RATE_LIMIT);

  check(req: IncomingMessage, clientIp: string, expected: string): HookAuthResult {
    const allowed = this.limiter.check(clientIp, "shared-secret");
    if (!allowed.allowed)
      return {
        ok: false,
        status: 429,
        retryAfterSeconds: Math.max(1, Math.ceil(allowed.retryAfterMs / 1000)),
      };
    const given = hookTokenOf(req);
    if (given !== undefined && safeEqual(given, expected)) {
      this.limiter.reset(clientIp, "shared-secret");
      return { ok: true };
    }
    this.limiter.recordFailure(clientIp, "shared-secret");
    return { ok: false, status: 401 };
  }
}
