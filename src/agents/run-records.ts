import { randomUUID } from "node:crypto";
import type { SubsystemLogger } from "../log/logger.js";
import type { RunOutput } from "../machines/run.machine.js";
import { GatewayError } from "../protocol/gateway-error.js";
import { ErrorCodes } from "../protocol/index.js";
import type { MessageOrigin, MessageRole, NewRun, RunOutcome, RunRow, SessionRow } from "../store/rows.js";
import type { StateStore } from "../store/state-store.js";
import { UnsavedEnds } from "./unsaved-ends.js";

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A run the store would not take is refused before the ack; the client may try again. */
function notSaved(error: unknown): GatewayError {
  return new GatewayError(
    ErrorCodes.UNAVAILABLE,
    `the run could not be saved: ${describeError(error)}; retry`,
    {
      retryable: true,
      retryAfterMs: 5_000,
    },
  );
}

/**
 * What state.db holds of agent runs: a run and its user message committed before the ack, its text
 * so far while it streams, its end before anyone is told. An end the store refuses waits here (and is
 * retried on every later write), so retries and waits get the answer clients were given.
 */
export class RunRecords {
  private readonly unsaved = new UnsavedEnds();

  constructor(
    private readonly store: StateStore,
    private readonly log: SubsystemLogger,
  ) {}

  /** A run of this dedupe key that the store holds, or whose end it has not taken yet. */
  byDedupeKey(dedupeKey: string): RunRow | null {
    return this.unsaved.byDedupeKey(dedupeKey) ?? this.store.findRunByDedupeKey(dedupeKey);
  }

  /** The run as clients were told of it: its unsaved end, else the store's row. */
  get(runId: string): RunRow | null {
    return this.unsaved.get(runId) ?? this.store.getRun(runId);
  }

  sessionKeyOf(runId: string): string | null {
    return this.store.getRun(runId)?.sessionKey ?? null;
  }

  /** The channel chat a session last talked through (where `deliver: true` replies go). */
  lastRoute(sessionKey: string): MessageOrigin | null {
    return this.store.lastRoute(sessionKey);
  }

  /** The session's transcript as the provider sees it: everything but this run's own messages. */
  history(run: { runId: string; sessionId: string }): Array<{ role: MessageRole; text: string }> {
    return this.store
      .history(run.sessionId, 200)
      .filter((message) => message.runId !== run.runId && message.text !== "")
      .map((message) => ({ role: message.role, text: message.text }));
  }

  /**
   * The run's session, created on first use; `reset` (after it, the session's runs were stopped)
   * gives it a fresh transcript under the same key. Refused as retryable when the store fails.
   */
  session(sessionKey: string, agentId: string, now: number, reset: (() => void) | null): SessionRow {
    try {
      if (this.unsaved.size > 0) this.unsaved.flush(this.store, this.log);
      const session = this.store.ensureSession(sessionKey, agentId, randomUUID(), now);
      if (!reset) return session;
      reset();
      return this.store.resetSession(sessionKey, randomUUID(), now) ?? session;
    } catch (error) {
      throw notSaved(error);
    }
  }

  /** Records the run and its user message (before the ack); an idempotency key another run has is refused. */
  create(run: NewRun): void {
    try {
      this.store.createRun(run);
    } catch (error) {
      if (String(error).includes("UNIQUE constraint failed: runs.run_id")) {
        throw new GatewayError(
          ErrorCodes.INVALID_REQUEST,
          `idempotencyKey "${run.runId}" is already used by another run`,
        );
      }
      throw notSaved(error);
    }
  }

  savePartial(runId: string, startedAt: number, text: string): void {
    try {
      this.store.savePartial(runId, startedAt, text);
    } catch (error) {
      // Only what a crash would lose grows; the run goes on, and its end is what must be saved.
      this.log.warn(`could not save the partial text of run ${runId}: ${describeError(error)}`);
    }
  }

  /**
   * Commits the end of a run, `row` as it ends. When the store refuses it, the run ends as
   * `interrupted` instead — nobody is told of an end the store does not hold, and after a restart
   * it reads as interrupted — and that end waits here for the store. Returns what to announce.
   */
  commitEnd(
    row: RunRow,
    end: RunOutcome,
    replyTo: MessageOrigin | null,
    output: RunOutput,
  ): { row: RunRow; told: RunOutput } {
    try {
      this.store.finishRun(row, { ...end, replyTo });
      const saved = this.store.getRun(row.runId) ?? row;
      if (this.unsaved.size > 0) this.unsaved.flush(this.store, this.log);
      return { row: saved, told: output };
    } catch (error) {
      const reason = describeError(error);
      this.log.error(`could not save the end of run ${row.runId}: ${reason}; it ends as interrupted`);
      const told: RunOutput = {
        status: "error",
        stopReason: "interrupted",
        error: `interrupted: the end of the run could not be saved (${reason}); retry`,
      };
      const failedEnd = { ...end, ...told, messageState: "interrupted" as const };
      const failedRow = { ...row, ...failedEnd };
      this.unsaved.add({ run: row, outcome: failedEnd, row: failedRow });
      return { row: failedRow, told };
    }
  }
}
