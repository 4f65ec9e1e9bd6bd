import type { AgentRuns } from "../agents/agent-runs.js";
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
