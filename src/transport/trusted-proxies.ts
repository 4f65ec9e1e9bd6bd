import net from "node:net";
import type { TrustedProxyAuthConfig } from "../config/trusted-proxy-auth.js";

/** An IPv4 address written as IPv4-mapped IPv6 (how a dual-stack socket reports it) is the IPv4 address. */
function normalize(ip: string): string {
  return ip.startsWith("::ffff:") && net.isIPv4(ip.slice(7)) ? ip.slice(7) : ip.toLowerCase();
}

function ipv4ToInt(ip: string): number {
  return ip.split(".").reduce((value, octet) => value * 256 + Number(octet), 0);
}

/** Answers whether a socket peer is one of the configured proxies. */
export class TrustedProxies {
  private readonly exact = new Set<string>();
  private readonly blocks: Array<{ base: number; size: number }> = [];

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const [address = "", bits] = entry.split("/");
      if (bits === undefined) {
        this.exact.add(normalize(address));
        continue;
      }
      const size = 2 ** (32 - Number(bits));
      this.blocks.push({ base: Math.floor(ipv4ToInt(address) / size) * size, size });
    }
  }

  get configured(): boolean {
    return this.exact.size > 0 || this.blocks.length > 0;
  }

  includes(ip: string): boolean {
    const address = normalize(ip);
    if (this.exact.has(address)) return true;
    if (!net.isIPv4(address)) return false;
    const value = ipv4ToInt(address);
    return this.blocks.some((block) => value >= block.base && value < block.base + block.size);
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return (Array.isArray(value) ? value[0] : value)?.trim() || undefined;
}

/** The client a trusted proxy names: the first `X-Forwarded-For` entry, else `X-Real-IP` (an IP, or undefined). */
export function forwardedClientIp(
  headers: Record<string, string | string[] | undefined>,
): string | undefined {
  const forwardedFor = headerValue(headers["x-forwarded-for"])?.split(",")[0]?.trim();
  const named = forwardedFor || headerValue(headers["x-real-ip"]);
  return named && net.isIP(named) ? named : undefined;
}

/**
 * REFERENCE §5.3: the client is the socket's peer; when that peer is a trusted proxy, the first
 * `X-Forwarded-For` entry, else `X-Real-IP`, names it.
 */
export function clientIpOf(
  remoteAddress: string,
  headers: Record<string, string | string[] | undefined>,
  proxies: TrustedProxies,
): string {
  return (proxies.includes(remoteAddress) && forwardedClientIp(headers)) || remoteAddress;
}

/** Why auth mode "trusted-proxy" did not accept a request (all reported to the client as `unauthorized`). */
export type ProxyIdentityFailure =
  | "trusted_proxy_untrusted_source"
  | "trusted_proxy_missing_header"
  | "trusted_proxy_user_missing"
  | "trusted_proxy_user_not_allowed";

export type ProxyIdentity = { ok: true; user: string } | { ok: false; reason: ProxyIdentityFailure };

/**
 * Auth mode "trusted-proxy" (REFERENCE §5.3): the request came from a trusted proxy, carries every
 * header that proxy always sets, and names a user (one of `allowUsers`, when that is set).
 */
export function proxyIdentityOf(
  viaTrustedProxy: boolean,
  headers: Record<string, string | string[] | undefined>,
  settings: TrustedProxyAuthConfig,
): ProxyIdentity {
  if (!viaTrustedProxy) return { ok: false, reason: "trusted_proxy_untrusted_source" };
  const required = settings.requiredHeaders ?? [];
  if (required.some((name) => !headerValue(headers[name.toLowerCase()]))) {
    return { ok: false, reason: "trusted_proxy_missing_header" };
  }
  const user = headerValue(headers[settings.userHeader.toLowerCase()]);
  if (!user) return { ok: false, reason: "trusted_proxy_user_missing" };
  const allowed = settings.allowUsers ?? [];
  if (allowed.length > 0 && !allowed.includes(user))
    return { ok: false, reason: "trusted_proxy_user_not_allowed" };
  return { ok: true, user };
}
