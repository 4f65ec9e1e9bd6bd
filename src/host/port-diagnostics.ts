import { findPortListeners, type PortListener } from "./port-owner.js";

function hintFor(listeners: PortListener[]): string {
  if (listeners.length === 0) {
    return "Port is in use but process details are unavailable (install lsof or run as an admin user).";
  }
  // One process on 127.0.0.1 and ::1 (a loopback gateway) is one listener, not several.
  if (new Set(listeners.map((l) => l.pid)).size > 1)
    return "Multiple listeners detected; ensure only one gateway/tunnel per port.";
  const command = listeners[0]?.command ?? "";
  if (command.includes("coderclaw")) {
    return "Gateway already running locally. Stop it (coderclaw gateway stop) or use a different port.";
  }
  if (/\bssh\b/.test(command))
    return "SSH tunnel already bound to this port. Close the tunnel or use a different port.";
  return "Another process is listening on this port.";
}

/** The "port busy" block printed after a failed start: who holds the port and what to do. */
export async function describePortHolders(port: number): Promise<string[]> {
  const listeners = await findPortListeners(port).catch((): PortListener[] => []);
  return [
    `Port ${port} is already in use.`,
    ...listeners.map((l) => `- pid ${l.pid}${l.user ? ` ${l.user}` : ""}: ${l.command} (${l.address})`),
    `- ${hintFor(listeners)}`,
  ];
}
