import type { IncomingMessage } from "node:http";
import { authRateLimitSettings } from "../config/auth-rate-limit.js";
import type { CoderclawConfig } from "../config/schema.js";
import type { TrustedProxyAuthConfig } from "../config/trusted-proxy-auth.js";
import type { SubsystemLogger } from "../log/logger.js";
import { authorizeSecret, type AuthResult, type GatewayAuth } from "./auth.js";
import { AuthRateLimiter } from "./auth-rate-limiter.js";
import { peerOf, type PeerInfo } from "./client-connection.js";
import { isLoopbackHost } from "./net.js";
import { TrustedProxies } from "./trusted-proxies.js";

/**
 * Who may use this gateway, for the WebSocket handshake and the HTTP endpoints alike: the shared
 * secret (or, in mode "trusted-proxy", the proxy's word), the rate limiter when configured, and the
 * reverse proxies whose headers name the client.
 */
export class GatewayAccess {
  private readonly rateLimiter: AuthRateLimiter | null;
  private readonly trustedProxies: TrustedProxies;
  /** Set in auth mode "trusted-proxy" only. */
  private readonly proxyAuth: TrustedProxyAuthConfig | null;
  /** Loopback addresses already warned about for sending proxy headers without being a trusted proxy. */
  private readonly untrustedProxyWarned = new Set<string>();

  constructor(
    readonly auth: GatewayAuth,
    config: CoderclawConfig,
    private readonly log: SubsystemLogger,
  ) {
    this.trustedProxies = new TrustedProxies(config.gateway.trustedProxies);
    this.proxyAuth = auth.mode === "trusted-proxy" ? config.gateway.auth.trustedProxy : null;
    const rateLimit = authRateLimitSettings(config.gateway.auth.rateLimit);
    this.rateLimiter =
      rateLimit &&
      new AuthRateLimiter(rateLimit, {
        onLockout: (ip, scope, lockoutMs) =>
          log.warn(`auth: ${ip} locked out for ${lockoutMs} ms after failed ${scope} attempts`),
      });
  }

  /** Who sent this request, as far as the socket and any trusted proxy tell. */
  peer(request: IncomingMessage): PeerInfo {
    const peer = peerOf(request, this.trustedProxies, this.proxyAuth);
    if (peer.forwarded && !peer.viaTrustedProxy) this.warnUntrustedProxy(peer.remoteAddress);
    return peer;
  }

  /**
   * In auth mode "trusted-proxy", the user the proxy vouched for. Otherwise the shared token/password,
   * behind the rate limiter when there is one: a locked-out client is refused even with the right
   * secret; a wrong secret counts as a failure (a missing one is not a guess), and a success forgets
   * the client's failures.
   */
  authorize(peer: PeerInfo, given: { token?: string; password?: string }): AuthResult {
    if (this.auth.mode === "trusted-proxy") {
      return peer.proxyIdentity?.ok
        ? { ok: true, method: "trusted-proxy" }
        : { ok: false, reason: "unauthorized" };
    }
    const limiter = this.rateLimiter;
    const ip = peer.clientIp;
    const check = limiter?.check(ip, "shared-secret");
    if (check && !check.allowed)
      return { ok: false, reason: "rate_limited", retryAfterMs: check.retryAfterMs };
    const result = authorizeSecret(this.auth, given);
    if (!limiter) return result;
    if (result.ok) limiter.reset(ip, "shared-secret");
    else if (result.reason === "token_mismatch" || result.reason === "password_mismatch") {
      limiter.recordFailure(ip, "shared-secret");
    }
    return result;
  }

  /**
   * A device token check behind the limiter's `device-token` scope: a locked-out client is refused
   * before the check, a wrong token counts as a failure, a right one forgets the client's failures.
   */
  limitDeviceToken<T>(
    peer: PeerInfo,
    check: () => T,
    failed: (result: T) => boolean,
  ): { ok: true; result: T } | { ok: false; retryAfterMs: number } {
    const limiter = this.rateLimiter;
    const locked = limiter?.check(peer.clientIp, "device-token");
    if (locked && !locked.allowed) return { ok: false, retryAfterMs: locked.retryAfterMs };
    const result = check();
    if (failed(result)) limiter?.recordFailure(peer.clientIp, "device-token");
    else limiter?.reset(peer.clientIp, "device-token");
    return { ok: true, result };
  }

  /** Proxy headers only matter from loopback, where they make a connection non-local: say so once per address. */
  private warnUntrustedProxy(remoteAddress: string): void {
    if (!isLoopbackHost(remoteAddress) || this.untrustedProxyWarned.has(remoteAddress)) return;
    this.untrustedProxyWarned.add(remoteAddress);
    this.log.warn(
      `proxy headers from ${remoteAddress}, which is not in gateway.trustedProxies: ` +
        "its connections are not treated as local",
    );
  }
}
