import { useCallback, useState } from "preact/hooks";
import type { HelloOk } from "../connection/gateway-connection.js";
import type { GatewayPort } from "../gateway-port.js";
import { formatDuration, formatTime, useGatewayEvent, useGatewayRead } from "../hooks.js";
import { parseLogLine, type LogEntry } from "./log-entry.js";

interface StatusPayload {
  gateway: { state: string; version: string; uptimeMs: number; host: string; port: number; bind: string };
  connections: { count: number };
  actors: { count: number };
}
interface PresenceEntry {
  host?: string;
  ip?: string;
  mode?: string;
  platform?: string;
  version?: string;
  reason?: string;
  text?: string;
  ts: number;
}
interface AgentsPayload {
  defaultId: string;
  agents: Array<{ id: string; name?: string; default: boolean; model: string | null }>;
}
interface ChannelAccount {
  accountId: string;
  running: boolean;
  connected?: boolean;
  state?: string;
  lastError?: string | null;
}
/** `channels.status` (REFERENCE §8): accounts per channel, in the gateway's channel order. */
interface ChannelsPayload {
  channelOrder?: string[];
  channelLabels?: Record<string, string>;
  channelAccounts?: Record<string, ChannelAccount[]>;
}

function channelAccounts(payload: ChannelsPayload | null | undefined) {
  const order = payload?.channelOrder ?? [];
  return order.flatMap((channel) =>
    (payload?.channelAccounts?.[channel] ?? []).map((account) => ({
      ...account,
      channel,
      label: payload?.channelLabels?.[channel] ?? channel,
    })),
  );
}
interface Health {
  ok?: boolean;
  ts?: number;
  sessions?: { count: number };
}

interface OverviewData {
  status: StatusPayload;
  agents: AgentsPayload | null;
  channels: ChannelsPayload | null;
  errors: LogEntry[];
}

export function OverviewView({ gateway, hello }: { gateway: GatewayPort; hello: () => HelloOk | null }) {
  const [health, setHealth] = useState<Health | null>(null);
  const [presence, setPresence] = useState<PresenceEntry[]>([]);
  const read = useCallback(async (): Promise<OverviewData> => {
    const [status, healthNow, presenceNow, agents, channels, logs] = await Promise.all([
      gateway.request<StatusPayload>("status"),
      gateway.request<Health>("health"),
      gateway.request<PresenceEntry[]>("system-presence"),
      gateway.request<AgentsPayload>("agents.list").catch(() => null),
      gateway.request<ChannelsPayload>("channels.status").catch(() => null),
      gateway.request<{ lines: string[] }>("logs.tail", { limit: 1000 }).catch(() => ({ lines: [] })),
    ]);
    setHealth(healthNow);
    setPresence(presenceNow);
    const errors = logs.lines
      .map(parseLogLine)
      .filter((entry) => entry.level === "error" || entry.level === "warn")
      .slice(-8)
      .reverse();
    return { status, agents, channels, errors };
  }, [gateway]);
  const overview = useGatewayRead(gateway, read);
  useGatewayEvent(gateway, "health", (payload) => setHealth(payload as Health));
  useGatewayEvent(gateway, "presence", (payload) =>
    setPresence((payload as { presence: PresenceEntry[] }).presence ?? []),
  );

  const data = overview.data;
  const server = hello()?.server;
  return (
    <div class="grid">
      <section class="card" aria-labelledby="gw-title">
        <h2 id="gw-title">Gateway</h2>
        {overview.error && <p class="alert">{overview.error}</p>}
        {data && (
          <dl class="facts">
            <dt>State</dt>
            <dd data-testid="lifecycle-state">
              <span class={`badge badge-${data.status.gateway.state === "ready" ? "ok" : "warn"}`}>
                {data.status.gateway.state}
              </span>
            </dd>
            <dt>Health</dt>
            <dd>
              {health?.ok === undefined ? "unknown" : health.ok ? "ok" : "degraded"}
              {health?.ts ? ` (checked ${formatTime(health.ts)})` : ""}
            </dd>
            <dt>Version</dt>
            <dd>{data.status.gateway.version}</dd>
            <dt>Uptime</dt>
            <dd>{formatDuration(data.status.gateway.uptimeMs)}</dd>
            <dt>Host</dt>
            <dd>
              {server?.host ?? data.status.gateway.host}, port {data.status.gateway.port} (bind{" "}
              {data.status.gateway.bind})
            </dd>
            <dt>Connections</dt>
            <dd>{data.status.connections.count}</dd>
            <dt>Actors</dt>
            <dd>{data.status.actors.count}</dd>
          </dl>
        )}
      </section>
      <section class="card" aria-labelledby="presence-title">
        <h2 id="presence-title">Presence</h2>
        <ul class="list">
          {presence.map((entry, index) => (
            <li key={`${entry.host}-${entry.ts}-${index}`}>
              <strong>{entry.mode ?? "client"}</strong> {entry.host ?? entry.ip ?? ""}
              <span class="muted">
                {" "}
                {entry.reason ?? ""} · {formatTime(entry.ts)}
              </span>
            </li>
          ))}
          {presence.length === 0 && <li class="muted">Nobody else.</li>}
        </ul>
      </section>
      <section class="card" aria-labelledby="agents-title">
        <h2 id="agents-title">Agents</h2>
        <ul class="list">
          {data?.agents?.agents.map((agent) => (
            <li key={agent.id}>
              <strong>{agent.name ?? agent.id}</strong>
              {agent.default && <span class="badge">default</span>}
              <span class="muted"> model {agent.model ?? "(default)"}</span>
            </li>
          ))}
          {!data?.agents && <li class="muted">Agents are unavailable (no state store).</li>}
        </ul>
      </section>
      <section class="card" aria-labelledby="channels-title">
        <h2 id="channels-title">Channels</h2>
        <ul class="list">
          {channelAccounts(data?.channels).map((account) => (
            <li key={`${account.channel}:${account.accountId}`}>
              <strong>{account.label}</strong> {account.accountId}{" "}
              <span class={`badge badge-${account.running ? "ok" : "warn"}`}>
                {account.running
                  ? account.connected === false
                    ? "running, not connected"
                    : "running"
                  : (account.state ?? "stopped")}
              </span>
              {account.lastError && <span class="muted"> {account.lastError}</span>}
            </li>
          ))}
          {channelAccounts(data?.channels).length === 0 && (
            <li class="muted">No channel accounts configured.</li>
          )}
        </ul>
      </section>
      <section class="card wide" aria-labelledby="errors-title">
        <h2 id="errors-title">Recent warnings and errors</h2>
        <ul class="list mono">
          {data?.errors.map((entry, index) => (
            <li key={index}>
              <span class={`level level-${entry.level}`}>{entry.level}</span> {entry.time} {entry.message}
            </li>
          ))}
          {data && data.errors.length === 0 && <li class="muted">None in the recent log.</li>}
        </ul>
      </section>
    </div>
  );
}
