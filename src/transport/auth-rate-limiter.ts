import type { AuthRateLimitSettings } from "../config/auth-rate-limit.js";
import { isLoopbackHost } from "./net.js";

/** What a limit is kept for: the shared token/password, or device tokens (counted apart). */
export type RateLimitScope = "shared-secret" | "device-token";

export type RateLimitCheck = { allowed: true } | { allowed: false; retryAfterMs: number };

interface Attempts {
  /** Times of the failures inside the current window, oldest first. */
  failures: number[];
  lockedUntil: number;
}

export interface AuthRateLimiterOptions {
  now?: () => number;
  /** A client just reached the limit and is locked out. */
  onLockout?: (ip: string, scope: RateLimitScope, lockoutMs: number) => void;
}

/**
 * REFERENCE §5.3: failed attempts per `scope:ip` in a sliding window; reaching `maxAttempts` within
 * `windowMs` locks that client out for `lockoutMs`, and a success forgets its failures. Loopback
 * clients are exempt unless `exemptLoopback` is false.
 */
export class AuthRateLimiter {
  private readonly attempts = new Map<string, Attempts>();
  private readonly now: () => number;
  private lastPrune = 0;

  constructor(
    private readonly settings: AuthRateLimitSettings,
    private readonly options: AuthRateLimiterOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Whether this client may try now; when it is locked out, for how much longer it is. */
  check(ip: string, scope: RateLimitScope): RateLimitCheck {
    if (this.exempt(ip)) return { allowed: true };
    const lockedUntil = this.attempts.get(`${scope}:${ip}`)?.lockedUntil ?? 0;
    const now = this.now();
    return lockedUntil > now ? { allowed: false, retryAfterMs: lockedUntil - now } : { allowed: true };
  }

  recordFailure(ip: string, scope: RateLimitScope): void {
    if (this.exempt(ip)) return;
    const now = this.now();
    this.prune(now);
    const key = `${scope}:${ip}`;
    let entry = this.attempts.get(key);
    if (!entry) this.attempts.set(key, (entry = { failures: [], lockedUntil: 0 }));
    const windowStart = now - this.settings.windowMs;
    entry.failures = entry.failures.filter((at) => at > windowStart);
    entry.failures.push(now);
    if (entry.failures.length >= this.settings.maxAttempts) {
      entry.failures = [];
      entry.lockedUntil = now + this.settings.lockoutMs;
      this.options.onLockout?.(ip, scope, this.settings.lockoutMs);
    }
  }

  reset(ip: string, scope: RateLimitScope): void {
    this.attempts.delete(`${scope}:${ip}`);
  }

  /** Clients with failures or a lockout on record. */
  get size(): number {
    return this.attempts.size;
  }

  private exempt(ip: string): boolean {
    return this.settings.exemptLoopback && isLoopbackHost(ip);
  }

  /** At most once per window: forgets clients whose failures have all aged out and who are not locked out. */
  private prune(now: number): void {
    if (now - this.lastPrune < this.settings.windowMs) return;
    this.lastPrune = now;
    const windowStart = now - this.settings.windowMs;
    for (const [key, entry] of this.attempts) {
      if (entry.lockedUntil <= now && entry.failures.every((at) => at <= windowStart))
        this.attempts.delete(key);
    }
  }
}
