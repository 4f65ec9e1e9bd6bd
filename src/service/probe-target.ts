import os from "node:os";

export interface ProbeTarget {
  host: string;
  url: string;
  note?: string;
}

function primaryLanIPv4(): string | undefined {
  const interfaces = os.networkInterfaces();
  const names = Object.keys(interfaces).sort((a, b) => rank(a) - rank(b));
  for (const name of names) {
    for (const address of interfaces[name] ?? []) {
      if (address.family === "IPv4" && !address.internal) return address.address;
    }
  }
  return undefined;
}

function rank(name: string): number {
  return name === "en0" || name === "eth0" ? 0 : 1;
}

/** REFERENCE §1.8 step 4: the address a status probe dials for a bind mode, and what to tell the user. */
export function probeTarget(bindMode: string, bindHost: string, port: number, tls = false): ProbeTarget {
  let host = "127.0.0.1";
  let note: string | undefined;
  if (bindMode === "custom" && bindHost !== "0.0.0.0") host = bindHost;
  else if (bindMode === "tailnet") host = bindHost === "0.0.0.0" ? "127.0.0.1" : bindHost;
  else if (bindMode === "lan") {
    host = primaryLanIPv4() ?? "127.0.0.1";
    note = `bind=lan listens on 0.0.0.0 (all interfaces); probing via ${host}.`;
  } else if (bindMode === "loopback") {
    note = "Loopback-only gateway; only local clients can connect.";
  }
  const hostPart = host.includes(":") ? `[${host}]` : host;
  return { host, url: `${tls ? "wss" : "ws"}://${hostPart}:${port}`, ...(note ? { note } : {}) };
}
