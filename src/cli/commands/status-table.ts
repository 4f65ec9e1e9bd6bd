import { configInvalidLines } from "../../config/config-invalid.js";
import { cliCommand, type Env } from "../../config/paths.js";
import type { StatusOverview } from "../../service/status-overview.js";
import { accountHealthText, heartbeatText } from "../render-health.js";

function gatewayRow(gateway: StatusOverview["gateway"]): string {
  const parts = [gateway.mode, `${gateway.url} (${gateway.urlSource})`];
  if (gateway.misconfigured) parts.push("misconfigured (remote.url missing)");
  else if (gateway.reachable) parts.push(`reachable ${gateway.connectLatencyMs ?? 0}ms`);
  else parts.push(`unreachable (${gateway.error ?? "no answer"})`);
  parts.push(`auth ${gateway.auth}`);
  const self = gateway.self;
  if (self) {
    const app = [self.host, self.version ? `app ${self.version}` : "", self.platform]
      .filter(Boolean)
      .join(" ");
    if (app) parts.push(app);
  }
  return parts.join(" · ");
}

function serviceRow(service: StatusOverview["gatewayService"]): string {
  if (!service.installed) return `${service.label} not installed`;
  const parts = [service.label, "installed"];
  if (!service.managerAvailable) parts.push("service manager unavailable");
  else parts.push(service.loadedText);
  const runtime = service.runtime;
  if (runtime) parts.push(`${runtime.status}${runtime.pid ? ` (pid ${runtime.pid})` : ""}`);
  return parts.join(" · ");
}

function agentsRow(agents: StatusOverview["agents"]): string {
  const names = agents.agents.map((agent) => `${agent.id}${agent.default ? " (default)" : ""}`);
  return `${agents.agents.length} · ${names.join(", ")}${agents.source === "config" ? " · from config" : ""}`;
}

function sessionsRow(sessions: StatusOverview["sessions"]): string {
  const count = sessions.count === null ? "unknown" : String(sessions.count);
  return `${count} · ${sessions.path}${sessions.error ? ` (${sessions.error})` : ""}`;
}

function heartbeatRow(overview: StatusOverview): string | null {
  const heartbeat = overview.heartbeat;
  if (!heartbeat) return null;
  // The gateway's one heartbeat summary, worded as `health` words it.
  const interval = heartbeatText(heartbeat.enabled ? heartbeat.intervalSeconds : 0);
  if (interval === "disabled") return "disabled";
  const last = heartbeat.last as { ts?: number; status?: string } | null;
  return last?.ts
    ? `every ${interval} · last ${last.status ?? "sent"} at ${new Date(last.ts).toISOString()}`
    : `every ${interval} · none yet`;
}

/** Two-column box table (REFERENCE §1.11 "Overview"). */
export function renderTable(rows: Array<[string, string]>): string[] {
  const header: [string, string] = ["Item", "Value"];
  const width = (index: 0 | 1) => Math.max(...[header, ...rows].map((row) => row[index].length));
  const [a, b] = [width(0), width(1)];
  const line = (left: string, mid: string, right: string) =>
    `${left}${"─".repeat(a + 2)}${mid}${"─".repeat(b + 2)}${right}`;
  const row = ([x, y]: [string, string]) => `│ ${x.padEnd(a)} │ ${y.padEnd(b)} │`;
  return [line("┌", "┬", "┐"), row(header), line("├", "┼", "┤"), ...rows.map(row), line("└", "┴", "┘")];
}

export function statusLines(overview: StatusOverview, env: Env): string[] {
  const rows: Array<[string, string]> = [
    ["OS", `${overview.os.platform} ${overview.os.release} (${overview.os.arch}) · node ${overview.os.node}`],
    ["Gateway", gatewayRow(overview.gateway)],
    ...(overview.gateway.tlsFingerprint
      ? [["TLS fingerprint", `SHA-256 ${overview.gateway.tlsFingerprint}`] as [string, string]]
      : []),
    ["Gateway service", serviceRow(overview.gatewayService)],
    ["Agents", agentsRow(overview.agents)],
    ["Sessions", sessionsRow(overview.sessions)],
    [
      "Channels",
      overview.channels.accounts === 0
        ? "none configured"
        : `${overview.channels.accounts} accounts · ${overview.channels.running} running`,
    ],
    ...overview.channels.list.map((account): [string, string] => [
      `  ${account.label} ${account.accountId}`,
      accountHealthText(account),
    ]),
  ];
  const heartbeat = heartbeatRow(overview);
  if (heartbeat) rows.push(["Heartbeat", heartbeat]);
  const lines = ["CoderClaw status", "", "Overview", ...renderTable(rows), ""];
  if (!overview.config.valid) {
    // First thing said: everything below was worked out from the defaults, not from this file.
    const snapshot = { path: overview.config.path, issues: overview.config.issues };
    lines.unshift(
      ...configInvalidLines(snapshot, env),
      "Showing what can be found without it (defaults in its place).",
      "",
    );
  }
  if (!overview.gateway.reachable) {
    lines.push(
      `Gateway not reachable. Start it with: ${cliCommand("gateway", env)} (or ${cliCommand("gateway start", env)} for the service)`,
    );
  }
  lines.push(`Service details: ${cliCommand("gateway status", env)}`);
  return lines;
}
