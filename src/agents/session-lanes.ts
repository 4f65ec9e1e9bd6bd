interface Waiting {
  runId: string;
  sessionKey: string;
}

/**
 * Runs of one session go strictly one at a time; different sessions run in parallel up to
 * `maxConcurrent`. Waiting runs start in arrival order as soon as their session and a slot are free.
 */
export class SessionLanes {
  private readonly waiting: Waiting[] = [];
  private readonly runningBySession = new Map<string, string>();
  private readonly sessionOfRunning = new Map<string, string>();

  constructor(
    private maxConcurrent: number,
    private readonly start: (runId: string) => void,
  ) {}

  get running(): number {
    return this.sessionOfRunning.size;
  }

  get queued(): number {
    return this.waiting.length;
  }

  setMaxConcurrent(limit: number): void {
    this.maxConcurrent = limit;
    this.pump();
  }

  enqueue(runId: string, sessionKey: string): void {
    this.waiting.push({ runId, sessionKey });
    this.pump();
  }

  /** A run ended (or was aborted while waiting): free its place and start whoever can go next. */
  release(runId: string): void {
    const session = this.sessionOfRunning.get(runId);
    if (session !== undefined) {
      this.sessionOfRunning.delete(runId);
      this.runningBySession.delete(session);
    } else {
      const index = this.waiting.findIndex((entry) => entry.runId === runId);
      if (index >= 0) this.waiting.splice(index, 1);
    }
    this.pump();
  }

  private pump(): void {
    for (let index = 0; index < this.waiting.length && this.running < this.maxConcurrent;) {
      const candidate = this.waiting[index] as Waiting;
      if (this.runningBySession.has(candidate.sessionKey)) {
        index += 1;
        continue;
      }
      this.waiting.splice(index, 1);
      this.runningBySession.set(candidate.sessionKey, candidate.runId);
      this.sessionOfRunning.set(candidate.runId, candidate.sessionKey);
      this.start(candidate.runId);
    }
  }
}
