import type { ClientSession } from "../protocol/client-session.js";
import type { PresenceEntry } from "../protocol/index.js";
import type { PresenceTable } from "../state/presence.js";
import type { EventBus } from "./event-bus.js";

/** A burst of joins, leaves and presence events is published once it pauses this long... */
const PRESENCE_SETTLE_MS = 250;
/** ...or, if it goes on, once its first change has waited this long. */
const PRESENCE_MAX_DELAY_MS = 1000;

function isCli(session: ClientSession): boolean {
  return session.client.mode === "cli" || session.client.id === "cli" || session.client.mode === "probe";
}

function presenceKey(session: ClientSession): string {
  return session.deviceId ?? session.client.instanceId ?? session.connId;
}

/**
 * Keeps the presence table in step with connections and publishes it when changes settle: 250 ms
 * after the last one, and at least once a second while they keep coming. Broadcasts are therefore at
 * least 250 ms apart, and a reconnect storm of N clients, where every broadcast of the whole list goes
 * to everyone already back, costs a broadcast or two instead of one per interval.
 */
export class PresenceFeed {
  private timer: NodeJS.Timeout | null = null;
  /** When the first change not yet published was made. */
  private pendingSince = 0;
  private lastChange = 0;
  private last: { version: number; entries: PresenceEntry[] };

  constructor(
    private readonly presence: PresenceTable,
    private readonly bus: EventBus,
  ) {
    this.last = { version: presence.version, entries: presence.list() };
  }

  /** What clients were last sent: a new client's hello-ok carries this, and the next broadcast brings it up to date. */
  published(): { version: number; entries: readonly PresenceEntry[] } {
    return this.last;
  }

  joined(session: ClientSession): void {
    if (isCli(session)) return;
    this.presence.upsert(presenceKey(session), {
      host: session.client.displayName ?? session.client.id,
      ip: session.remoteAddress,
      version: session.client.version,
      platform: session.client.platform,
      mode: session.client.mode,
      reason: "connect",
      instanceId: session.client.instanceId,
      deviceId: session.deviceId ?? undefined,
      roles: [session.role],
      scopes: session.scopes,
    });
    this.changed();
  }

  left(session: ClientSession): void {
    if (!isCli(session) && this.presence.remove(presenceKey(session))) this.changed();
  }

  changed(): void {
    this.lastChange = Date.now();
    if (this.timer) return;
    this.pendingSince = this.lastChange;
    this.timer = setTimeout(this.settle, PRESENCE_SETTLE_MS);
  }

  /** One timer per burst: it is re-armed for the remaining time rather than reset on every change. */
  private readonly settle = (): void => {
    const now = Date.now();
    const due = Math.min(this.lastChange + PRESENCE_SETTLE_MS, this.pendingSince + PRESENCE_MAX_DELAY_MS);
    if (due > now) {
      this.timer = setTimeout(this.settle, due - now);
      return;
    }
    this.timer = null;
    this.last = { version: this.presence.version, entries: this.presence.list() };
    this.bus.emit("presence", { presence: this.last.entries });
  };

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
