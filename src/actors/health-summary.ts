import type { CoderclawConfig } from "../config/schema.js";

/** REFERENCE §5.9. Channels and sessions fill in as those subsystems arrive; empty is the truth today. */
export async function computeHealthSummary(config: CoderclawConfig) {
  const agents = config.agents.list.length > 0 ? config.agents.list : [{ id: "main", default: true }];
  const defaultAgent = agents.find((agent) => agent.default) ?? agents[0];
  return {
    ok: true,
    channels: {},
    channelOrder: [],
    channelLabels: {},
    heartbeatSeconds: 0,
    defaultAgentId: defaultAgent?.id ?? "main",
    agents: agents.map((agent) => ({
      agentId: agent.id,
      name: agent.name,
      isDefault: agent.id === defaultAgent?.id,
      heartbeat: null,
      sessions: 0,
    })),
    sessions: { path: null, count: 0, recent: [] },
  };
}
