import { randomUUID } from "node:crypto";
import type { AgentRuns } from "../agents/agent-runs.js";
import type { HookDeliver, HookDeliveryTarget } from "../channels/hook-delivery.js";
import type { WakeMode } from "../config/hooks-config.js";
import type { CoderclawConfig } from "../config/schema.js";
import type { SubsystemLogger } from "../log/logger.js";
import { GatewayError } from "../protocol/gateway-error.js";
import { ErrorCodes } from "../protocol/index.js";
import type { RunRow } from "../store/rows.js";
import type { StateStore } from "../store/state-store.js";
import type { AgentAction } from "./hook-actions.js";

export interface HookDispatchDeps {
  config(): CoderclawConfig;
  /** Null while the state database is unavailable. */
  runs(): AgentRuns | null;
  store(): StateStore | null;
  /** Null until a channel can deliver: a hook's `deliver` is then logged as skipped. */
  deliver(): HookDeliver | null;
  log: SubsystemLogger;
}

/** The longest hook run reply quoted in the summary posted to the main session. */
const MAX_SUMMARY_CHARS = 2_000;

function summaryOf(name: string, row: RunRow): string {
  if (row.status !== "ok") return `${name} failed: ${row.error ?? "run failed"}`;
  const text = row.text.trim() || "(no reply)";
  return `${name}: ${text.length > MAX_SUMMARY_CHARS ? `${text.slice(0, MAX_SUMMARY_CHARS)}…` : text}`;
}

const unavailable = () =>
  new GatewayError(ErrorCodes.UNAVAILABLE, "agent runs are unavailable", { retryable: true });

/**
 * What hooks do once accepted. A wake records a system event in the agent's main session; with mode
 * `now` it is also the message of an immediate agent turn there (there is no heartbeat runner to
 * pick it up later). An agent hook is a normal run in its own session; when it ends, its summary
 * wakes the main session the same way, and its reply goes to the channel when `deliver` asks for it.
 */
export class HookDispatcher {
  constructor(private readonly deps: HookDispatchDeps) {}

  private mainSessionKey(runs: AgentRuns, agentId: string | undefined): { key: string; agentId: string } {
    const agent = (agentId ? runs.agents.get(agentId) : undefined) ?? runs.agents.defaultAgent;
    return { key: `agent:${agent.id}:${this.deps.config().session.mainKey}`, agentId: agent.id };
  }

  /** Records (and with `now` answers) a system event in the main session; throws GatewayError. */
  wake(text: string, mode: WakeMode, agentId?: string): void {
    const runs = this.deps.runs();
    const store = this.deps.store();
    if (!runs || !store) throw unavailable();
    const main = this.mainSessionKey(runs, agentId);
    if (mode === "next-heartbeat") {
      store.appendSystemEvent(main.key, main.agentId, randomUUID(), text, Date.now());
      return;
    }
    const started = runs.start({
      kind: "agent",
      idempotencyKey: randomUUID(),
      message: text,
      agentId: main.agentId,
      sessionKey: main.key,
      messageRole: "system",
    });
    void started.done.then((row) => {
      if (row.status !== "ok")
        this.deps.log.warn(`hook wake run ${row.runId} ended: ${row.error ?? "error"}`);
    });
  }

  /** Starts the hook's run (its session already decided); resolves the run id once it is accepted. */
  runAgent(action: AgentAction & { sessionKey: string }): string {
    const runs = this.deps.runs();
    if (!runs) throw unavailable();
    const runId = randomUUID();
    const started = runs.start({
      kind: "agent",
      idempotencyKey: runId,
      message: action.message,
      agentId: action.agentId,
      sessionKey: action.sessionKey,
      model: action.model,
      timeoutMs: action.timeoutSeconds === undefined ? undefined : action.timeoutSeconds * 1_000,
    });
    void started.done
      .then((row) => this.finished(action, row))
      .catch((error: unknown) => this.deps.log.error(`hook run ${runId}: ${String(error)}`));
    return runId;
  }

  private finished(action: AgentAction & { sessionKey: string }, row: RunRow): void {
    const { log } = this.deps;
    if (action.deliver && row.status === "ok" && row.text.trim() !== "") this.deliverReply(action, row);
    try {
      this.wake(summaryOf(action.name, row), action.wakeMode, row.agentId);
    } catch (error) {
      log.warn(`hook run ${row.runId}: summary not posted to the main session: ${(error as Error).message}`);
    }
  }

  private deliverReply(action: AgentAction & { sessionKey: string }, row: RunRow): void {
    const target: HookDeliveryTarget = {
      channel: action.channel,
      to: action.to,
      sessionKey: action.sessionKey,
    };
    const where = `${target.channel}${target.to ? ` to ${target.to}` : ""}`;
    const deliver = this.deps.deliver();
    if (!deliver) {
      this.deps.log.info(`hook run ${row.runId}: delivery via ${where} skipped: no channel available`);
      return;
    }
    // A channel that throws instead of rejecting is still only a failed delivery.
    Promise.resolve()
      .then(() => deliver(target, row.text))
      .catch((error: unknown) =>
        this.deps.log.warn(`hook run ${row.runId}: delivery via ${where} failed: ${String(error)}`),
      );
  }
}
