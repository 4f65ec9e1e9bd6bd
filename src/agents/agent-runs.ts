import { createActor, fromPromise, type Actor, type InspectionEvent } from "xstate";
import { createFailureParent } from "../machines/failure-parent.js";
import type { CoderclawConfig } from "../config/schema.js";
import type { SubsystemLogger } from "../log/logger.js";
import { runMachine, type RunOutput, type StopReason } from "../machines/run.machine.js";
import { GatewayError } from "../protocol/gateway-error.js";
import { ErrorCodes } from "../protocol/index.js";
import type { MessageOrigin, MessageState, RunRow } from "../store/rows.js";
import type { StateStore } from "../store/state-store.js";
import { AgentDirectory, type AgentProfile } from "./agent-directory.js";
import { ProviderRegistry } from "./providers/registry.js";
import type { RunEventSink } from "./run-events.js";
import { RunRecords, describeError } from "./run-records.js";
import type { Deduplicated, RunKind, RunRequest, RunStarted } from "./run-request.js";
import { RunStream } from "./run-stream.js";
import { RunWaiters } from "./run-waiters.js";
import { SessionLanes } from "./session-lanes.js";

interface ActiveRun {
  runId: string;
  kind: RunKind;
  dedupeKey: string;
  sessionKey: string;
  sessionId: string;
  agent: AgentProfile;
  message: string;
  acceptedAt: number;
  startedAt: number | null;
  replyTo: MessageOrigin | null;
  stream: RunStream;
  meta: Record<string, unknown>;
  lastPartialSaveAt: number;
  actor: Actor<typeof runMachine>;
  done: Promise<RunRow>;
  resolveDone(row: RunRow): void;
}

export interface AgentRunsOptions {
  /** Replaced by reconfigure() on a hot reload. */
  config: CoderclawConfig;
  store: StateStore;
  events: RunEventSink;
  log: SubsystemLogger;
  inspect: (event: InspectionEvent) => void;
  /** The port of the gateway that runs these agents (command agents find it in CODERCLAW_GATEWAY_PORT). */
  gatewayPort?: number;
}

const PARTIAL_SAVE_INTERVAL_MS = 1_000;
const RUN_ACTOR_PREFIX = "run:";
const RESET_COMMAND = /^\/(new|reset)(\s+|$)/i;

function messageStateFor(output: RunOutput): MessageState {
  if (output.status === "ok") return "final";
  if (output.stopReason === "interrupted") return "interrupted";
  // A provider failure, or a failure of the run itself (no stop reason): not something a user stopped.
  if (output.stopReason === "provider" || output.stopReason === null) return "error";
  return "aborted";
}

/**
 * Every agent run of one gateway: validation and persistence before the ack, the run actor in its
 * session lane, provider output turned into `agent`/`chat` events, and the final state committed
 * before anyone is told.
 */
export class AgentRuns {
  agents: AgentDirectory;
  providers: ProviderRegistry;
  private readonly active = new Map<string, ActiveRun>();
  private readonly activeByDedupe = new Map<string, ActiveRun>();
  private readonly waiters = new RunWaiters();
  private readonly records: RunRecords;
  private readonly lanes: SessionLanes;
  private readonly runLogic;
  /**
   * The parent of every run actor: they share its actor system, and it hears when one of them fails
   * (a bug in one of its actions), which then ends that run as an error instead of the process.
   */
  private readonly host;
  private accepting = true;

  constructor(private readonly options: AgentRunsOptions) {
    this.agents = new AgentDirectory(options.config);
    this.records = new RunRecords(options.store, options.log);
    this.providers = new ProviderRegistry(options.config.providers);
    this.lanes = new SessionLanes(options.config.agents.defaults.maxConcurrent, (runId) =>
      this.active.get(runId)?.actor.send({ type: "START" }),
    );
    this.runLogic = runMachine.provide({
      actors: {
        provider: fromPromise(async ({ input, signal }) => {
          const run = this.active.get(input.runId);
          if (!run) throw new Error(`run ${input.runId} is not active`);
          const { provider, model } = this.providers.resolve(run.agent.model);
          run.meta = { ...run.meta, provider: provider.id, model };
          const history = () => this.records.history(run);
          const result = await provider.run({
            runId: run.runId,
            sessionKey: run.sessionKey,
            agentId: run.agent.id,
            model,
            message: run.message,
            history,
            workspace: run.agent.workspace,
            gatewayPort: this.options.gatewayPort,
            signal,
            onDelta: (delta) => this.onDelta(run, delta),
            log: this.options.log,
          });
          if (run.stream.text === "" && result.text !== "") this.onDelta(run, result.text);
          run.meta = { ...run.meta, ...result.meta };
          return result;
        }),
      },
      actions: {
        announceStreaming: (_, { runId }) => this.onStreaming(runId),
        finishRun: (_, outcome) => this.onFinished(outcome.runId, outcome),
      },
    });
    this.host = createFailureParent(
      "runs",
      (actorId, error) => this.onRunFailed(actorId, error),
      options.inspect,
    );
  }

  /** After the last run ended (drain): the runs' parent goes too. */
  stop(): void {
    this.accepting = false;
    this.host.stop();
  }

  /** Hot reload: runs started from now on use the new agents, providers, timeouts and lane limit. */
  reconfigure(config: CoderclawConfig): void {
    this.options.config = config;
    this.agents = new AgentDirectory(config);
    this.providers = new ProviderRegistry(config.providers);
    this.lanes.setMaxConcurrent(config.agents.defaults.maxConcurrent);
  }

  get activeCount(): number {
    return this.active.size;
  }

  // ---- starting runs -------------------------------------------------------------------------------

  /** An earlier run with the same idempotency key, if any. */
  deduplicate(kind: RunKind, idempotencyKey: string): Deduplicated | null {
    const dedupeKey = `${kind}:${idempotencyKey}`;
    const active = this.activeByDedupe.get(dedupeKey);
    if (active) return { kind: "active", run: { run: active, done: active.done } };
    const row = this.records.byDedupeKey(dedupeKey);
    return row ? { kind: "finished", row } : null;
  }

  /** Validates, persists the user message, and queues the run; resolves before any output exists. */
  start(request: RunRequest): RunStarted {
    if (!this.accepting) {
      throw new GatewayError(ErrorCodes.UNAVAILABLE, "gateway is draining; retry once it has restarted", {
        retryable: true,
        retryAfterMs: 1_500,
      });
    }
    const target = this.agents.target(
      request.agentId,
      request.sessionKey,
      this.options.config.session.mainKey,
    );
    if ("invalid" in target) {
      const method = request.kind === "agent" ? "agent" : "chat.send";
      throw new GatewayError(ErrorCodes.INVALID_REQUEST, `invalid ${method} params: ${target.invalid}`);
    }
    const { sessionKey } = target;
    const agent = request.model ? { ...target.agent, model: request.model } : target.agent;
    if (request.model) this.checkModel(request.kind, request.model);
    const now = Date.now();
    const reset = RESET_COMMAND.exec(request.message);
    const session = this.records.session(
      sessionKey,
      agent.id,
      now,
      reset ? () => this.abortSession(sessionKey, "stop") : null,
    );
    const message = reset ? request.message.slice(reset[0].length).trim() || "/new" : request.message;
    const runId = request.idempotencyKey;
    const dedupeKey = `${request.kind}:${request.idempotencyKey}`;
    this.records.create({
      runId,
      dedupeKey,
      kind: request.kind,
      sessionKey,
      sessionId: session.sessionId,
      agentId: agent.id,
      acceptedAt: now,
      userText: request.message,
      userRole: request.messageRole,
      origin: request.origin ?? null,
    });
    let resolveDone!: (row: RunRow) => void;
    const done = new Promise<RunRow>((resolve) => (resolveDone = resolve));
    const timeoutMs = request.timeoutMs ?? this.options.config.agents.defaults.timeoutSeconds * 1_000;
    const run: ActiveRun = {
      runId,
      kind: request.kind,
      dedupeKey,
      sessionKey,
      sessionId: session.sessionId,
      agent,
      message,
      acceptedAt: now,
      startedAt: null,
      replyTo: request.replyTo ?? (request.deliver ? this.records.lastRoute(sessionKey) : null),
      stream: new RunStream(runId, sessionKey, this.options.events),
      meta: {},
      lastPartialSaveAt: now,
      actor: createActor(this.runLogic, {
        id: `${RUN_ACTOR_PREFIX}${runId}`,
        input: { runId, timeoutMs },
        parent: this.host,
      }),
      done,
      resolveDone,
    };
    this.active.set(runId, run);
    this.activeByDedupe.set(dedupeKey, run);
    run.actor.start();
    // The caller acks before the run may stream: enter the lane after the current turn.
    queueMicrotask(() => this.lanes.enqueue(runId, sessionKey));
    return { run, done };
  }

  /** A model ref whose provider is not configured is refused before the run exists. */
  private checkModel(kind: RunKind, model: string): void {
    try {
      this.providers.resolve(model);
    } catch (error) {
      const method = kind === "agent" ? "agent" : "chat.send";
      throw new GatewayError(ErrorCodes.INVALID_REQUEST, `invalid ${method} params: ${describeError(error)}`);
    }
  }

  // ---- run lifecycle (called by the run machine) ---------------------------------------------------

  private onStreaming(runId: string): void {
    const run = this.active.get(runId);
    if (!run) return;
    run.startedAt = Date.now();
    run.stream.started(run.startedAt);
  }

  private onDelta(run: ActiveRun, delta: string): void {
    if (delta === "" || !this.active.has(run.runId)) return;
    run.stream.delta(delta);
    const now = Date.now();
    if (now - run.lastPartialSaveAt >= PARTIAL_SAVE_INTERVAL_MS) {
      run.lastPartialSaveAt = now;
      this.records.savePartial(run.runId, run.startedAt ?? now, run.stream.text);
    }
  }

  /**
   * Commit the end, then tell everyone: final response, events, waiters, the session's next run.
   * Whatever fails on the way (the database, a listener), the run is over for everyone waiting on it
   * and its session lane moves on.
   */
  private onFinished(runId: string, output: RunOutput): void {
    const run = this.active.get(runId);
    if (!run) return;
    this.active.delete(runId);
    this.activeByDedupe.delete(run.dedupeKey);
    const endedAt = Date.now();
    const end = {
      status: output.status,
      startedAt: run.startedAt,
      stopReason: output.stopReason,
      text: run.stream.text,
      error: output.error,
      endedAt,
      meta: { ...run.meta, agentId: run.agent.id, durationMs: endedAt - (run.startedAt ?? run.acceptedAt) },
      messageState: messageStateFor(output),
    };
    const { row, told } = this.records.commitEnd(
      {
        runId,
        dedupeKey: run.dedupeKey,
        kind: run.kind,
        sessionKey: run.sessionKey,
        sessionId: run.sessionId,
        agentId: run.agent.id,
        acceptedAt: run.acceptedAt,
        ...end,
      },
      end,
      run.replyTo,
      output,
    );
    try {
      run.stream.finished(told, run.startedAt, endedAt, told !== output);
    } finally {
      run.resolveDone(row);
      this.waiters.wake(runId, row);
      // The lane hands the slot to the next run outside this actor's transition.
      queueMicrotask(() => this.lanes.release(runId));
    }
  }

  /** A run actor stopped on an error of its own (a bug): the run ends as an error, the gateway goes on. */
  private onRunFailed(actorId: string, error: unknown): void {
    const runId = actorId.slice(RUN_ACTOR_PREFIX.length);
    const message = describeError(error);
    this.options.log.error(`run ${runId} failed: ${message}`);
    try {
      this.onFinished(runId, { status: "error", stopReason: null, error: `internal error: ${message}` });
    } catch (error) {
      // Its end is recorded and everyone waiting was told; only the events about it could not go out.
      this.options.log.error(`run ${runId}: could not announce its end: ${describeError(error)}`);
    }
  }

  // ---- queries and control -------------------------------------------------------------------------

  /** Resolves when the run ends, or with null after `timeoutMs` (the run may not even exist yet). */
  wait(runId: string, timeoutMs: number): Promise<RunRow | null> {
    const row = this.records.get(runId);
    if (row && (row.status === "ok" || row.status === "error")) return Promise.resolve(row);
    return this.waiters.wait(runId, timeoutMs);
  }

  runIdsOfSession(sessionKey: string): string[] {
    return [...this.active.values()].filter((run) => run.sessionKey === sessionKey).map((run) => run.runId);
  }

  sessionOfRun(runId: string): string | null {
    return this.active.get(runId)?.sessionKey ?? this.records.sessionKeyOf(runId);
  }

  /** Aborts the session's active runs (or one of them); returns the ids that were aborted. */
  abortSession(
    sessionKey: string,
    reason: Exclude<StopReason, "timeout" | "provider">,
    runId?: string,
  ): string[] {
    const runIds = this.runIdsOfSession(sessionKey).filter((id) => runId === undefined || id === runId);
    for (const id of runIds) this.active.get(id)?.actor.send({ type: "ABORT", reason });
    return runIds;
  }

  /**
   * Stops taking runs, lets in-flight ones finish until the deadline, then ends the rest as
   * `interrupted` with their partial text persisted.
   */
  async drain(deadlineMs: number): Promise<{ finished: number; interrupted: number }> {
    this.accepting = false;
    const pending = [...this.active.values()];
    if (pending.length === 0) return { finished: 0, interrupted: 0 };
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(pending.map((run) => run.done)),
      new Promise((resolve) => (timer = setTimeout(resolve, deadlineMs))),
    ]);
    clearTimeout(timer);
    const leftovers = [...this.active.values()];
    for (const run of leftovers) run.actor.send({ type: "ABORT", reason: "interrupted" });
    await Promise.all(leftovers.map((run) => run.done));
    return { finished: pending.length - leftovers.length, interrupted: leftovers.length };
  }
}
