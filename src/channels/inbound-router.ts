import type { AgentRuns } from "../agents/agent-runs.js";
import { cliCommand } from "../config/paths.js";
import type { SubsystemLogger } from "../log/logger.js";
import type { StateStore } from "../store/state-store.js";
import type { ChannelAccountRuntime } from "./account-runtime.js";
import { checkAccess } from "./access.js";
import { resolveAgentRoute } from "./agent-route.js";
import type { ChannelManager } from "./channel-manager.js";
import type { PairingRequest, PairingStore } from "./pairing-store.js";
import type { ChannelTarget, InboundMessage } from "./types.js";

export interface InboundRouterDeps {
  manager: () => ChannelManager;
  runs: AgentRuns;
  store: StateStore;
  pairing: PairingStore;
  log: SubsystemLogger;
  env: NodeJS.ProcessEnv;
}

/** What an unknown DM sender is told under `dmPolicy: "pairing"`. */
export function pairingMessage(channel: string, request: PairingRequest, env: NodeJS.ProcessEnv): string {
  return [
    "CoderClaw: access not configured.",
    `Your ID: ${request.senderId}`,
    `Pairing code: ${request.code}`,
    `Ask the bot owner to approve with: ${cliCommand(`pairing approve ${channel} ${request.code}`, env)}`,
  ].join("\n");
}

/**
 * Inbound message → access check → agent and session → run in that session's lane → reply chunked
 * and delivered to the chat it came from. Both messages land in the session transcript with their
 * channel and peer.
 */
export class InboundRouter {
  constructor(private readonly deps: InboundRouterDeps) {}

  handle(runtime: ChannelAccountRuntime, message: InboundMessage): void {
    try {
      this.route(runtime, message);
    } catch (error) {
      this.deps.log.warn(
        `[${runtime.channel}:${runtime.accountId}] message from ${message.sender.id} not processed: ${(error as Error).message}`,
      );
    }
  }

  private route(runtime: ChannelAccountRuntime, message: InboundMessage): void {
    const { plugin, account } = runtime;
    const { pairing, log } = this.deps;
    const manager = this.deps.manager();
    const channel = runtime.channel;
    const label = `[${channel}:${runtime.accountId}]`;
    const matchesSender = plugin.security?.matchesSender;
    const decision = checkAccess({
      policy: account.access,
      message,
      matches: (entry) =>
        entry === "*" ||
        (matchesSender ? matchesSender(entry, message.sender, account) : entry === message.sender.id),
      approved: () => pairing.isApproved(channel, runtime.accountId, message.sender.id),
    });
    const target: ChannelTarget = { channel, accountId: runtime.accountId, to: message.peer.id };
    if (decision.kind === "drop") {
      log.info(
        `${label} drop ${message.peer.kind} ${message.peer.id} from ${message.sender.id} (${decision.reason})`,
      );
      return;
    }
    if (decision.kind === "pair") {
      const outcome = pairing.request(
        channel,
        runtime.accountId,
        message.sender.id,
        message.sender.name ?? null,
      );
      if (outcome.kind === "created") {
        log.info(`${label} pairing request ${outcome.request.code} from ${message.sender.id}`);
        manager.deliverReply(
          target,
          Promise.resolve({ text: pairingMessage(channel, outcome.request, this.deps.env), status: "ok" }),
        );
      } else {
        log.info(`${label} drop dm from ${message.sender.id} (pairing ${outcome.kind})`);
      }
      return;
    }
    const config = manager.currentConfig;
    const { runs, store } = this.deps;
    const route = resolveAgentRoute({
      bindings: config.bindings,
      defaultAgentId: runs.agents.defaultAgent.id,
      knownAgent: (agentId) => runs.agents.get(agentId) !== undefined,
      mainKey: config.session.mainKey,
      dmScope: config.session.dmScope,
      channel,
      accountId: runtime.accountId,
      peer: message.peer,
    });
    const origin = { channel, accountId: runtime.accountId, peer: message.peer.id };
    const started = runs.start({
      kind: "agent",
      idempotencyKey: `${channel}:${runtime.accountId}:${message.messageId}`,
      message: message.text,
      agentId: route.agentId,
      sessionKey: route.sessionKey,
      origin,
      replyTo: origin,
    });
    store.setLastRoute(started.run.sessionKey, origin);
    manager.deliverReply(target, started.done);
  }
}
