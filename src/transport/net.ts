import net from "node:net";
import os from "node:os";
import type { BindMode } from "../config/schema.js";

export interface ListenPlan {
  /** The primary host; its failure to bind fails the start. */
  host: string;
  /** Extra hosts bound on the same port; a failure there is only a warning. */
  aliases: string[];
}

const LOOPBACK = new net.BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

/**
 * `localhost`, or an IP address in 127.0.0.0/8 or ::1 (IPv4-mapped forms included; brackets allowed).
 * Parsed as an address, never matched by prefix: `127.0.0.1.nip.io` is a public name.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = (host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host).toLowerCase();
  if (bare === "localhost") return true;
  const family = net.isIP(bare);
  if (family === 0) return false;
  return LOOPBACK.check(bare, family === 4 ? "ipv4" : "ipv6");
}

function tailnetIPv4(): string | undefined {
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family !== "IPv4") continue;
      const [a, b] = address.address.split(".").map(Number);
      if (a === 100 && b !== undefined && b >= 64 && b <= 127) return address.address;
    }
  }
  return undefined;
}

/** REFERENCE §2.5: the host(s) a bind mode listens on. */
export function resolveListenPlan(mode: BindMode, customBindHost: string | null): ListenPlan {
  switch (mode) {
    case "loopback":
      return { host: "127.0.0.1", aliases: ["::1"] };
    case "lan":
      return { host: "0.0.0.0", aliases: [] };
    case "tailnet":
      return { host: tailnetIPv4() ?? "127.0.0.1", aliases: [] };
    case "auto":
      return { host: "127.0.0.1", aliases: [] };
    case "custom":
      return { host: customBindHost && net.isIPv4(customBindHost) ? customBindHost : "0.0.0.0", aliases: [] };
  }
}

export function formatHostPort(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}
