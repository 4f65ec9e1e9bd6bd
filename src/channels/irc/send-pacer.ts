/**
 * Paces outgoing lines so the server's flood control does not throttle or drop them: a burst of
 * `burst` lines, then one line per `intervalMs` (a token bucket). Lines go out in the order queued.
 */
export class SendPacer {
  private tokens: number;
  private lastRefill = Date.now();
  private readonly queue: Array<{ send: () => void; done: () => void; fail: (error: Error) => void }> = [];
  private timer: NodeJS.Timeout | null = null;
  private closed: Error | null = null;

  constructor(
    // ngircd relays about two lines a second per client after a short burst; sending faster only queues.
    private readonly burst = 3,
    private readonly intervalMs = 500,
  ) {
    this.tokens = burst;
  }

  /** Resolves once the line was written. */
  send(write: () => void): Promise<void> {
    if (this.closed) return Promise.reject(this.closed);
    return new Promise((done, fail) => {
      this.queue.push({ send: write, done, fail });
      this.pump();
    });
  }

  private refill(): void {
    const now = Date.now();
    const earned = Math.floor((now - this.lastRefill) / this.intervalMs);
    if (earned > 0) {
      this.tokens = Math.min(this.burst, this.tokens + earned);
      this.lastRefill += earned * this.intervalMs;
    }
    if (this.tokens === this.burst) this.lastRefill = now;
  }

  private pump(): void {
    if (this.timer) return;
    this.refill();
    while (this.queue.length > 0 && this.tokens > 0) {
      const next = this.queue.shift()!;
      this.tokens -= 1;
      try {
        next.send();
        next.done();
      } catch (error) {
        next.fail(error as Error);
      }
    }
    if (this.queue.length > 0) {
      this.timer = setTimeout(
        () => {
          this.timer = null;
          this.pump();
        },
        this.intervalMs - (Date.now() - this.lastRefill),
      );
    }
  }

  /** Fails every queued line (the connection is gone). */
  close(reason: Error): void {
    this.closed = reason;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const entry of this.queue.splice(0)) entry.fail(reason);
  }
}
