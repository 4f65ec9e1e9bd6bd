import type { ProbeResult } from "../client/probe.js";
import { formatAge } from "./format-age.js";

interface StatusView {
  gateway?: { state?: string; version?: string; pid?: number; uptimeMs?: number };
  connections?: { count?: number };
}

/** The few lines after `Reachable: yes`: state, version, pid, uptime, connections, presence. */
export function probeSummaryLines(result: ProbeResult): string[] {
  const status = (result.status ?? {}) as StatusView;
  const gateway = status.gateway ?? {};
  const lines: string[] = [];
  if (gateway.state) lines.push(`State: ${gateway.state}`);
  if (gateway.version) lines.push(`Version: ${gateway.version}`);
  if (gateway.pid !== undefined) lines.push(`PID: ${gateway.pid}`);
  if (gateway.uptimeMs !== undefined) lines.push(`Uptime: ${formatAge(gateway.uptimeMs)}`);
  if (status.connections?.count !== undefined) lines.push(`Connections: ${status.connections.count}`);
  if (Array.isArray(result.presence)) lines.push(`Presence: ${result.presence.length} entries`);
  const health = result.health as { ok?: boolean } | null;
  if (health && typeof health.ok === "boolean") lines.push(`Health: ${health.ok ? "ok" : "failed"}`);
  return lines;
}
