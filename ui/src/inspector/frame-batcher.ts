/**
 * Collects items as they arrive and hands them over once per animation frame, so a burst of `inspect`
 * events (a reconnect storm, a run storm) costs one store update and one render per frame.
 */
export class FrameBatcher<T> {
  private queue: T[] = [];
  private scheduled = false;
  private stopped = false;

  constructor(
    private readonly flush: (items: T[]) => void,
    private readonly schedule: (callback: () => void) => void,
  ) {}

  push(item: T): void {
    if (this.stopped) return;
    this.queue.push(item);
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => {
      this.scheduled = false;
      if (this.stopped) return;
      const items = this.queue;
      this.queue = [];
      this.flush(items);
    });
  }

  stop(): void {
    this.stopped = true;
    this.queue = [];
  }
}
