import type { InspectionEvent } from "xstate";
import type { AgentRuns } from "../agents/agent-runs.js";
import type { CoderclawConfig } from "../config/schema.js";
import type { GatewayLogger } from "../log/logger.js";
import type { StateStore } from "../store/state-store.js";
import { ChannelManager } from "./channel-manager.js";
import { InboundRouter } from "./inbound-router.js";
import { PairingStore } from "./pairing-store.js";
import { CHANNEL_PLUGINS } from "./registry.js";

export interface GatewayChannelsDeps {
  config: CoderclawConfig;
  store: StateStore;
  runs: AgentRuns;
  logger: GatewayLogger;
  inspect: (event: InspectionEvent) => void;
  env?: NodeJS.ProcessEnv;
}

/**
 * The gateway's channel manager, started: every registered channel's accounts. Skipped (null) with
 * CODERCLAW_SKIP_CHANNELS set, as upstream.
 */
export function startGatewayChannels(deps: GatewayChannelsDeps): ChannelManager | null {
  const env = deps.env ?? process.env;
  if (env.CODERCLAW_SKIP_CHANNELS) {
    deps.logger.child("channels").info("channels skipped (CODERCLAW_SKIP_CHANNELS)");
    return null;
  }
  const router = new InboundRouter({
    manager: () => manager,
    runs: deps.runs,
    store: deps.store,
    pairing: new PairingStore(deps.store.database),
    log: deps.logger.child("channels"),
    env,
  });
  const manager = new ChannelManager({
    config: deps.config,
    env,
    plugins: CHANNEL_PLUGINS,
    logger: deps.logger,
    inspect: deps.inspect,
    onInbound: (account, message) => router.handle(account, message),
  });
  manager.start();
  return manager;
}
