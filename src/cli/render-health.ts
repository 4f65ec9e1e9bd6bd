import { formatAge } from "./format-age.js";

/** The parts of a HealthSummary (REFERENCE §5.9) that `coderclaw health` prints. */
export interface HealthView {
  ok: boolean;
  error?: string;
  durationMs?: number;
  channels?: Record<string, ChannelHealth>;
  channelOrder?: string[];
  channelLabels?: Record<string, string>;
  heartbeatSeconds?: number;
  defaultAgentId?: string;
  agents?: Array<{ agentId: string; name?: string; isDefault?: boolean }>;
  sessions?: {
    path: string | null;
    count: number;
    recent: Array<{ key: string; updatedAt: number | null; age: number | null }>;
  };
}

/** One channel account in a HealthSummary. */
export interface AccountHealth {
  accountId: string;
  enabled?: boolean;
  configured?: boolean;
  running?: boolean;
  connected?: boolean;
  lastError?: string | null;
  probe?: ChannelHealth["probe"];
}

export interface ChannelHealth {
  accounts?: Record<string, AccountHealth>;
  configured?: boolean;
  linked?: boolean;
  authAgeMs?: number | null;
  probe?: {
    ok?: boolean;
    status?: number | string | null;
    error?: string | null;
    elapsedMs?: number;
    bot?: { username?: string | null };
  };
}

/** `linked (auth age 5m)`, `ok (@bot) (120ms)`, `failed (401) - bad token`, `not configured`, ... */
export function channelHealthText(channel: ChannelHealth): string {
  const probe = channel.probe;
  if (probe?.ok === true) {
    const bot = probe.bot?.username ? ` (@${probe.bot.username})` : "";
    const elapsed = typeof probe.elapsedMs === "number" ? ` (${probe.elapsedMs}ms)` : "";
    return `ok${bot}${elapsed}`;
  }
  if (probe?.ok === false) {
    return `failed (${probe.status ?? "unknown"})${probe.error ? ` - ${probe.error}` : ""}`;
  }
  if (channel.linked === true) {
    const age = typeof channel.authAgeMs === "number" ? ` (auth age ${formatAge(channel.authAgeMs)})` : "";
    return `linked${age}`;
  }
  if (channel.linked === false) return "not linked";
  if (channel.configured === false) return "not configured";
  if (channel.configured === true) return "configured";
  return "unknown";
}

/** `running, connected`, `stopped, disconnected, last error: <why>`, `disabled`, `not configured`. */
export function accountHealthText(account: AccountHealth): string {
  const parts: string[] = [];
  if (account.enabled === false) parts.push("disabled");
  else if (account.configured === false) parts.push("not configured");
  else {
    parts.push(account.running ? "running" : "stopped");
    parts.push(account.connected ? "connected" : "disconnected");
  }
  if (account.lastError) parts.push(`last error: ${account.lastError}`);
  return parts.join(", ");
}

/** `disabled`, `30m`, `1h`: the heartbeat interval as `health` and `status` both print it. */
export function heartbeatText(seconds: number | undefined): string {
  if (!seconds || seconds <= 0) return "disabled";
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** The text of `coderclaw health` (REFERENCE §1.11), one string per line. */
export function healthLines(summary: HealthView): string[] {
  const lines: string[] = [];
  if (!summary.ok) lines.push(`Health: failed${summary.error ? ` - ${summary.error}` : ""}`);
  const order = summary.channelOrder ?? [];
  if (order.length === 0) lines.push("Channels: none configured");
  for (const id of order) {
    const label = summary.channelLabels?.[id] ?? id;
    const channel = summary.channels?.[id] ?? {};
    const accounts = Object.values(channel.accounts ?? {});
    if (accounts.length === 0) lines.push(`${label}: ${channelHealthText(channel)}`);
    for (const account of accounts) {
      const probe = account.probe ? ` (probe ${channelHealthText({ probe: account.probe })})` : "";
      lines.push(`${label} ${account.accountId}: ${accountHealthText(account)}${probe}`);
    }
  }
  const agents = summary.agents ?? [];
  const defaultAgent = summary.defaultAgentId ?? agents.find((agent) => agent.isDefault)?.agentId ?? "main";
  if (agents.length > 0) {
    const names = agents.map((agent) => `${agent.agentId}${agent.isDefault ? " (default)" : ""}`);
    lines.push(`Agents: ${names.join(", ")}`);
  }
  const heartbeat = heartbeatText(summary.heartbeatSeconds);
  lines.push(`Heartbeat interval: ${heartbeat}${heartbeat === "disabled" ? "" : ` (${defaultAgent})`}`);
  const sessions = summary.sessions;
  if (sessions) {
    const where = sessions.path ?? "unavailable";
    lines.push(`Session store (${defaultAgent}): ${where} (${sessions.count} entries)`);
    for (const session of sessions.recent) {
      lines.push(
        `- ${session.key} (${session.age === null ? "no activity" : `${formatAge(session.age)} ago`})`,
      );
    }
  }
  return lines;
}
