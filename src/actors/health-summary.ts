import { configuredAgents, defaultAgentId } from "../agents/agent-directory.js";
import type { CoderclawConfig } from "../config/schema.js";
import type { GatewayServices } from "../methods/services.js";

/** REFERENCE §5.9. Channels fill in as that subsystem arrives; sessions come from the store. */
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
    channels: {},
    channelOrder: [],
    channelLabels: {},
    heartbeatSeconds: 0,
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
