import type { ChannelBinding, DmScope } from "../config/channels.js";
import type { ChannelPeer } from "./types.js";

export interface RouteInput {
  bindings: readonly ChannelBinding[];
  defaultAgentId: string;
  knownAgent(agentId: string): boolean;
  mainKey: string;
  dmScope: DmScope;
  channel: string;
  accountId: string;
  peer: ChannelPeer;
}

export interface AgentRoute {
  agentId: string;
  sessionKey: string;
  /** Which binding chose the agent: `peer`, `account`, `channel` or `default`. */
  matchedBy: "peer" | "account" | "channel" | "default";
}

/** Session keys keep to safe characters: a peer id is user input. */
function keyPart(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9#@._+!-]/g, "_");
}

/**
 * REFERENCE §8 resolveAgentRoute, for the tiers this gateway has: a binding on the peer, then on the
 * account, then on the channel, else the default agent. The session key follows `session.dmScope`
 * for DMs; groups always get their own session.
 */
export function resolveAgentRoute(input: RouteInput): AgentRoute {
  const candidates = input.bindings.filter(
    (binding) => binding.match.channel === input.channel && input.knownAgent(binding.agentId),
  );
  const byPeer = candidates.find(
    (binding) =>
      binding.match.peer?.kind === input.peer.kind &&
      binding.match.peer.id === input.peer.id &&
      (binding.match.accountId === undefined || binding.match.accountId === input.accountId),
  );
  const byAccount = candidates.find(
    (binding) => !binding.match.peer && binding.match.accountId === input.accountId,
  );
  const byChannel = candidates.find(
    (binding) => !binding.match.peer && binding.match.accountId === undefined,
  );
  const [agentId, matchedBy]: [string, AgentRoute["matchedBy"]] = byPeer
    ? [byPeer.agentId, "peer"]
    : byAccount
      ? [byAccount.agentId, "account"]
      : byChannel
        ? [byChannel.agentId, "channel"]
        : [input.defaultAgentId, "default"];
  const peer = keyPart(input.peer.id);
  const channel = keyPart(input.channel);
  let sessionKey: string;
  if (input.peer.kind !== "direct") sessionKey = `agent:${agentId}:${channel}:${input.peer.kind}:${peer}`;
  else if (input.dmScope === "main") sessionKey = `agent:${agentId}:${input.mainKey}`;
  else if (input.dmScope === "per-peer") sessionKey = `agent:${agentId}:direct:${peer}`;
  else if (input.dmScope === "per-channel-peer") sessionKey = `agent:${agentId}:${channel}:direct:${peer}`;
  else sessionKey = `agent:${agentId}:${channel}:${keyPart(input.accountId)}:direct:${peer}`;
  return { agentId, sessionKey, matchedBy };
}
