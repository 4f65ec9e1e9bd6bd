import path from "node:path";
import type { CoderclawConfig } from "../config/schema.js";
import { expandHome, resolveDefaultWorkspace } from "../config/paths.js";

export interface AgentProfile {
  id: string;
  name: string | null;
  isDefault: boolean;
  /** Model reference: `echo`, `<provider>` or `<provider>/<model>`. */
  model: string;
  workspace: string;
}

const DEFAULT_MODEL = "echo";

/** The agent and session a run goes to, or why the request names none that exists. */
export type RunTarget = { agent: AgentProfile; sessionKey: string } | { invalid: string };

type AgentEntry = CoderclawConfig["agents"]["list"][number];

/** The configured agents, or a single `main` agent when none is configured. */
export function configuredAgents(config: CoderclawConfig): ReadonlyArray<Pick<AgentEntry, "id" | "name">> {
  return config.agents.list.length > 0 ? config.agents.list : [{ id: "main" }];
}

/** Which agent is the default: the first marked `default`, else the first listed, else `main`. */
export function defaultAgentId(config: CoderclawConfig): string {
  const list = config.agents.list;
  return (list.find((entry) => entry.default) ?? list[0])?.id ?? "main";
}

/** The configured agents (or a single `main` agent), with defaults applied. */
export class AgentDirectory {
  readonly agents: AgentProfile[];
  readonly defaultAgent: AgentProfile;

  constructor(config: CoderclawConfig, env: NodeJS.ProcessEnv = process.env) {
    const defaults = config.agents.defaults;
    const baseWorkspace = path.resolve(expandHome(defaults.workspace ?? resolveDefaultWorkspace(env), env));
    const defaultId = defaultAgentId(config);
    this.agents = configuredAgents(config).map((entry: Partial<AgentEntry> & { id: string }) => ({
      id: entry.id,
      name: typeof entry.name === "string" ? entry.name : null,
      isDefault: entry.id === defaultId,
      model: typeof entry.model === "string" ? entry.model : (defaults.model ?? DEFAULT_MODEL),
      workspace:
        typeof entry.workspace === "string" ? path.resolve(expandHome(entry.workspace, env)) : baseWorkspace,
    }));
    this.defaultAgent = this.agents.find((agent) => agent.isDefault) as AgentProfile;
  }

  get(id: string): AgentProfile | undefined {
    return this.agents.find((agent) => agent.id === id);
  }

  /**
   * Where a run goes: the session key, when it names an agent (`agent:<id>:<rest>`), decides the agent
   * and must agree with an explicit `agentId`; without a key, the agent's main session.
   */
  target(agentId: string | undefined, sessionKey: string | undefined, mainKey: string): RunTarget {
    const requested = agentId ? this.get(agentId) : undefined;
    if (agentId && !requested) return { invalid: `unknown agent id "${agentId}"` };
    if (!sessionKey) {
      const agent = requested ?? this.defaultAgent;
      return { agent, sessionKey: `agent:${agent.id}:${mainKey}` };
    }
    if (!sessionKey.startsWith("agent:")) return { agent: requested ?? this.defaultAgent, sessionKey };
    const [, keyAgentId, rest] = /^agent:([^:]+):(.+)$/.exec(sessionKey) ?? [];
    if (!keyAgentId || !rest) return { invalid: `malformed session key "${sessionKey}"` };
    const keyAgent = this.get(keyAgentId);
    if (!keyAgent) return { invalid: `unknown agent id "${keyAgentId}"` };
    if (requested && requested.id !== keyAgent.id) {
      return { invalid: `agent "${requested.id}" does not match session key agent "${keyAgent.id}"` };
    }
    return { agent: keyAgent, sessionKey };
  }
}
