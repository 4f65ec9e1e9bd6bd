export interface HeartbeatEvent {
  ts: number;
  status: "sent" | "ok-empty" | "ok-token" | "skipped" | "failed";
  [key: string]: unknown;
}

/** What `status` and `health` both report about heartbeats, so the two can never disagree. */
export interface HeartbeatSummary {
  /** Heartbeats actually run: switched on (`set-heartbeats`) and scheduled (an interval above 0). */
  enabled: boolean;
  /** Seconds between heartbeats; 0 when none run. */
  intervalSeconds: number;
  /** The `set-heartbeats` switch alone. */
  switchedOn: boolean;
  last: HeartbeatEvent | null;
}

/** Whether heartbeats are enabled and the last one reported. */
export class HeartbeatState {
  /** The `set-heartbeats` switch. */
  enabled = true;
  /** Nothing schedules heartbeats in this gateway yet (no heartbeat runner), so the interval is 0. */
  readonly intervalSeconds = 0;
  last: HeartbeatEvent | null = null;

  constructor(private readonly onHeartbeat: (event: HeartbeatEvent) => void) {}

  record(event: HeartbeatEvent): void {
    this.last = event;
    this.onHeartbeat(event);
  }

  summary(): HeartbeatSummary {
    const running = this.enabled && this.intervalSeconds > 0;
    return {
      enabled: running,
      intervalSeconds: running ? this.intervalSeconds : 0,
      switchedOn: this.enabled,
      last: this.last,
    };
  }
}
