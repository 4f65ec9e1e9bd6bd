import type { SubsystemLogger } from "../log/logger.js";
import type { ChannelAccountSnapshot } from "./account-snapshot.js";

/** What the monitor needs of an account: its snapshot, and a way to restart it. */
export interface MonitoredAccount {
  channel: string;
  accountId: string;
  snapshot(): ChannelAccountSnapshot;
  send(event: { type: "RESTART"; reason: string }): void;
}

export interface HealthMonitorOptions {
  /** The check interval (0 turns the monitor off); re-read at every check. */
  intervalMs(): number;
  accounts(): MonitoredAccount[];
  log: SubsystemLogger;
  graceMs?: number;
  now?: () => number;
}

const GRACE_MS = 60_000;
const MAX_RESTARTS_PER_HOUR = 3;
const HOUR_MS = 3_600_000;

/** Why an account needs a restart now, or null when it is fine (or already on its way back). */
export function unhealthyReason(
  snapshot: ChannelAccountSnapshot,
  now: number,
  intervalMs: number,
): string | null {
  if (snapshot.state === "running" && !snapshot.connected) return "running but not connected";
  if (
    snapshot.state === "starting" &&
    snapshot.lastStartAt !== null &&
    now - snapshot.lastStartAt > intervalMs
  )
    return "start has not finished";
  return null;
}

/**
 * REFERENCE §8's channel health monitor: after a grace period, every interval, an account that is
 * running but disconnected, or whose start hangs, is restarted, at most once per two intervals and
 * three times an hour. (Accounts that crashed are already restarting with backoff.)
 */
export class ChannelHealthMonitor {
  private timer: NodeJS.Timeout | null = null;
  private readonly restarts = new Map<string, number[]>();
  private readonly now: () => number;

  constructor(private readonly options: HealthMonitorOptions) {
    this.now = options.now ?? Date.now;
  }

  start(): void {
    if (this.options.intervalMs() <= 0) return;
    this.schedule(this.options.graceMs ?? GRACE_MS);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.check();
      const interval = this.options.intervalMs();
      if (interval > 0) this.schedule(interval);
    }, delayMs);
    this.timer.unref();
  }

  /** One pass over every account; returns the keys it restarted. */
  check(): string[] {
    const now = this.now();
    const interval = this.options.intervalMs();
    const restarted: string[] = [];
    for (const account of this.options.accounts()) {
      const reason = unhealthyReason(account.snapshot(), now, interval);
      if (!reason) continue;
      const key = `${account.channel}:${account.accountId}`;
      const recent = (this.restarts.get(key) ?? []).filter((at) => now - at < HOUR_MS);
      const last = recent[recent.length - 1];
      if (recent.length >= MAX_RESTARTS_PER_HOUR || (last !== undefined && now - last < 2 * interval)) {
        this.restarts.set(key, recent);
        continue;
      }
      recent.push(now);
      this.restarts.set(key, recent);
      this.options.log.warn(`[${key}] health-monitor: restarting (${reason})`);
      account.send({ type: "RESTART", reason: `health-monitor: ${reason}` });
      restarted.push(key);
    }
    return restarted;
  }
}
