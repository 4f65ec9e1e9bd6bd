import path from "node:path";
import { AgentRuns } from "../agents/agent-runs.js";
import type { CoderclawConfig } from "../config/schema.js";
import type { GatewayLogger } from "../log/logger.js";
import { StoreError, type StateStore } from "../store/state-store.js";
import { openCheckedStore, type StoreHealth } from "../store/store-health.js";
import type { EventBus } from "./event-bus.js";
import type { Inspection } from "./inspection.js";

export type GatewayStore =
  { store: StateStore; runs: AgentRuns; error: null } | { store: null; runs: null; error: string };

export interface StoreStartupOptions {
  stateDir: string;
  config: CoderclawConfig;
  bus: EventBus;
  logger: GatewayLogger;
  inspection: Inspection;
  /** The port this gateway listens on, handed to the agents it runs (command agents get it in their env). */
  gatewayPort: number;
  /** Records what the integrity check at open found (health, readiness, doctor). */
  storeHealth: StoreHealth;
}

/**
 * Opens state.db, marks the previous process's unfinished runs interrupted, and starts the run registry.
 * A database that cannot be opened does not stop the gateway (under a service manager that would be a
 * crash loop): run methods answer UNAVAILABLE with the reason, and health reports it.
 */
export function startGatewayStore(options: StoreStartupOptions): GatewayStore {
  const log = options.logger.child("gateway");
  const file = path.join(options.stateDir, "state.db");
  try {
    const store = openCheckedStore(file, options.storeHealth, log);
    const interrupted = store.interruptUnfinished(Date.now());
    if (interrupted.length > 0) {
      log.warn(`marked ${interrupted.length} unfinished run(s) from the previous process as interrupted`);
    }
    const runs = new AgentRuns({
      config: options.config,
      store,
      events: {
        agent: (payload) => options.bus.emit("agent", payload),
        chat: (payload, delivery) => options.bus.emit("chat", payload, delivery),
      },
      log: options.logger.child("agent"),
      inspect: options.inspection.inspect,
      gatewayPort: options.gatewayPort,
    });
    return { store, runs, error: null };
  } catch (error) {
    const message = error instanceof StoreError ? error.message : new StoreError(file, error).message;
    log.error(message);
    return { store: null, runs: null, error: message };
  }
}
