import { configuredAgents, defaultAgentId } from "../agents/agent-directory.js";
import type { CoderclawConfig } from "../config/schema.js";
import type { ChannelAccountSnapshot } from "../channels/account-snapshot.js";
import type { ChannelManager } from "../channels/channel-manager.js";
import type { GatewayServices } from "./services.js";

/** One account in a HealthSummary: what the account machine knows now, no live probe. */
function accountHealth(snapshot: ChannelAccountSnapshot) {
  return {
    accountId: snapshot.accountId,
    ...(snapshot.name !== undefined ? { name: snapshot.name } : {}),
    enabled: snapshot.enabled,
    configured: snapshot.configured,
    running: snapshot.running,
    connected: snapshot.connected,
    state: snapshot.state,
    lastError: snapshot.lastError,
    lastConnectedAt: snapshot.lastConnectedAt,
    ...(snapshot.probe !== undefined ? { probe: snapshot.probe } : {}),
    ...(snapshot.lastProbeAt !== undefined ? { lastProbeAt: snapshot.lastProbeAt } : {}),
  };
}

/** The channels part of REFERENCE §5.9: every channel with at least one account, in plugin order. */
export function channelsHealth(services: GatewayServices) {
  return channelsHealthOf(services.channels?.accountsNow() ?? []);
}

export function channelsHealthOf(now: ReturnType<ChannelManager["accountsNow"]>) {
  const channels: Record<string, unknown> = {};
  const channelLabels: Record<string, string> = {};
  for (const { id, label, accounts } of now) {
    channels[id] = {
      configured: accounts.some((snapshot) => snapshot.configured),
      running: accounts.some((snapshot) => snapshot.running),
      connected: accounts.some((snapshot) => snapshot.connected),
      accounts: Object.fromEntries(accounts.map((snapshot) => [snapshot.accountId, accountHealth(snapshot)])),
    };
    channelLabels[id] = label;
  }
  return { channels, channelOrder: now.map(({ id }) => id), channelLabels };
}

/** REFERENCE §5.9: channels from the channel manager's account machines, sessions from the store. */
export async function computeHealthSummary(config: CoderclawConfig, services: GatewayServices) {
  const agents = configuredAgents(config);
  const defaultId = defaultAgentId(config);
  const sessions = services.store?.listSessions(5) ?? [];
  const counts = services.store?.counts();
  const now = Date.now();
  const store = services.storeHealth.check(services.store, services.storeError, now);
  return {
    ok: store.ok,
    ...(store.problem !== null ? { error: store.problem } : {}),
    store: {
      ok: store.ok,
      file: store.file,
      freeBytes: store.freeBytes,
      integrityAtOpen: store.integrityAtOpen,
    },
    ...channelsHealth(services),
    heartbeatSeconds: services.heartbeat.summary().intervalSeconds,
    defaultAgentId: defaultId,
    agents: agents.map((agent) => ({
      agentId: agent.id,
      name: agent.name,
      isDefault: agent.id === defaultId,
      heartbeat: null,
      sessions: sessions.filter((session) => session.agentId === agent.id).length,
    })),
    sessions: {
      path: services.store?.file ?? null,
      count: counts?.sessions ?? 0,
      recent: sessions.map((session) => ({
        key: session.key,
        updatedAt: session.updatedAt,
        age: now - session.updatedAt,
      })),
    },
    runs: { active: services.runs?.activeCount ?? 0 },
  };
}
