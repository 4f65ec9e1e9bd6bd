import type { AgentRuns } from "../agents/agent-runs.js";
import type { RunStarted } from "../agents/run-request.js";
import { ErrorCodes } from "../protocol/index.js";
import type { StateStore } from "../store/state-store.js";
import { GatewayError } from "../protocol/gateway-error.js";
import type { GatewayServices } from "./services.js";

/** The run service and store, or the UNAVAILABLE error that says why state.db cannot be used. */
export function requireRuns(gateway: GatewayServices): { runs: AgentRuns; store: StateStore } {
  if (!gateway.runs || !gateway.store) {
    throw new GatewayError(ErrorCodes.UNAVAILABLE, gateway.storeError ?? "agent runs are not available");
  }
  return { runs: gateway.runs, store: gateway.store };
}

/** `deliver: true`: the final reply also goes to the session's last channel chat. */
export function deliverToChannel(gateway: GatewayServices, started: RunStarted): void {
  const route = started.run.replyTo;
  if (!route || !gateway.channels) return;
  gateway.channels.deliverReply(
    { channel: route.channel, accountId: route.accountId, to: route.peer },
    started.done,
  );
}
