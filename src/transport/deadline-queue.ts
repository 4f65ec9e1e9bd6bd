import { performance } from "node:perf_hooks";

/**
 * Members that all get the same deadline, on one timer. Because the delay is the same for everyone,
 * deadlines run out in the order members were added: the queue is a Map in insertion order, adding and
 * removing are O(1), and the timer is always set for the oldest member. Used for the connections'
 * handshake deadline and close grace, where a timer per socket would cost a timer object, a scheduler
 * entry and a cancellation for every connection.
 */
export class DeadlineQueue<T> {
  private readonly due = new Map<T, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly delayMs: number,
    private readonly onExpired: (member: T) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get size(): number {
    return this.due.size;
  }

  /** Starts (or restarts) the member's deadline. */
  add(member: T): void {
    this.due.delete(member);
    this.due.set(member, this.now() + this.delayMs);
    this.timer ??= setTimeout(this.expire, this.delayMs);
  }

  remove(member: T): void {
    if (!this.due.delete(member) || this.due.size > 0) return;
    this.cancelTimer();
  }

  clear(): void {
    this.due.clear();
    this.cancelTimer();
  }

  private cancelTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private readonly expire = (): void => {
    this.timer = null;
    const now = this.now();
    for (const [member, at] of this.due) {
      if (at > now) {
        // A member added by a callback below has already set the timer.
        this.timer ??= setTimeout(this.expire, Math.ceil(at - now));
        return;
      }
      this.due.delete(member);
      this.onExpired(member);
    }
  };
}
