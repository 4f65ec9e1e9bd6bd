export interface HealthSummary {
  ok: boolean;
  ts: number;
  durationMs: number;
  [key: string]: unknown;
}

/**
 * The last computed health summary. Refreshes run in the background and are shared by concurrent
 * callers, so a `health` request never computes on the hot path unless it asks to probe.
 */
export class HealthCache {
  private summary: HealthSummary | null = null;
  private inflight: Promise<HealthSummary> | null = null;
  version = 1;

  constructor(
    private readonly compute: () => Promise<Omit<HealthSummary, "ts" | "durationMs"> & { ok: boolean }>,
    private readonly onRefresh: (summary: HealthSummary) => void,
  ) {}

  current(): HealthSummary | Record<string, never> {
    return this.summary ?? {};
  }

  refresh(): Promise<HealthSummary> {
    this.inflight ??= this.run().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private async run(): Promise<HealthSummary> {
    const started = Date.now();
    const partial = await this.compute();
    const summary: HealthSummary = { ...partial, ts: Date.now(), durationMs: Date.now() - started };
    this.summary = summary;
    this.version += 1;
    this.onRefresh(summary);
    return summary;
  }
}
