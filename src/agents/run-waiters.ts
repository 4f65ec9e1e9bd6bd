import type { RunRow } from "../store/rows.js";

/** Callers waiting for runs to end (`agent.wait`): each is woken by the run's end or by its own timeout. */
export class RunWaiters {
  private readonly waiting = new Map<string, Set<(row: RunRow) => void>>();

  /** Resolves with the run's final row, or with null after `timeoutMs`. */
  wait(runId: string, timeoutMs: number): Promise<RunRow | null> {
    return new Promise((resolve) => {
      const wake = (finished: RunRow) => {
        clearTimeout(timer);
        resolve(finished);
      };
      const timer = setTimeout(() => {
        this.release(runId, wake);
        resolve(null);
      }, timeoutMs);
      let waiters = this.waiting.get(runId);
      if (!waiters) this.waiting.set(runId, (waiters = new Set()));
      waiters.add(wake);
    });
  }

  /** The run ended: everyone waiting for it gets its row. */
  wake(runId: string, row: RunRow): void {
    const waiters = this.waiting.get(runId);
    this.waiting.delete(runId);
    for (const wake of waiters ?? []) wake(row);
  }

  private release(runId: string, wake: (row: RunRow) => void): void {
    const waiters = this.waiting.get(runId);
    waiters?.delete(wake);
    if (waiters?.size === 0) this.waiting.delete(runId);
  }
}
