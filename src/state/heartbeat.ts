export interface HeartbeatEvent {
  ts: number;
  status: "sent" | "ok-empty" | "ok-token" | "skipped" | "failed";
  [key: string]: unknown;
}

/** Whether heartbeats are enabled and the last one reported. */
export class HeartbeatState {
  enabled = true;
  last: HeartbeatEvent | null = null;

  constructor(private readonly onHeartbeat: (event: HeartbeatEvent) => void) {}

  record(event: HeartbeatEvent): void {
    this.last = event;
    this.onHeartbeat(event);
  }
}
