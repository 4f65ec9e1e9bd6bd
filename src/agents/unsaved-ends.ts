import type { SubsystemLogger } from "../log/logger.js";
import type { RunOutcome, RunRow } from "../store/rows.js";
import type { StateStore } from "../store/state-store.js";

interface UnsavedEnd {
  run: Pick<RunRow, "runId" | "sessionId" | "sessionKey">;
  outcome: RunOutcome;
  /** What clients were told: the run failed, `interrupted`, as a restart would also say. */
  row: RunRow;
}

/**
 * Ends of runs the store could not commit (a full disk). Clients were told these runs failed as
 * `interrupted` — which is what the store says after a restart, since the run was never finished there —
 * and until the store takes the write, this process answers retries and waits from here, the same way.
 */
export class UnsavedEnds {
  private readonly ends = new Map<string, UnsavedEnd>();

  get size(): number {
    return this.ends.size;
  }

  add(end: UnsavedEnd): void {
    this.ends.set(end.row.runId, end);
  }

  get(runId: string): RunRow | null {
    return this.ends.get(runId)?.row ?? null;
  }

  byDedupeKey(dedupeKey: string): RunRow | null {
    for (const end of this.ends.values()) if (end.row.dedupeKey === dedupeKey) return end.row;
    return null;
  }

  /** Tries to commit what is pending (as it was told); stops at the first failure, the store still being full. */
  flush(store: StateStore, log: SubsystemLogger): void {
    for (const [runId, end] of this.ends) {
      try {
        store.finishRun(end.run, end.outcome);
      } catch {
        return;
      }
      this.ends.delete(runId);
      log.info(`saved the end of run ${runId} (interrupted), which the store had refused earlier`);
    }
  }
}
