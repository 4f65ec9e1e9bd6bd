import type { ClientSession } from "../methods/method-spec.js";
import type { PresenceEntry } from "../protocol/index.js";
import type { PresenceTable } from "../state/presence.js";
import type { EventBus } from "./event-bus.js";

const PRESENCE_BROADCAST_INTERVAL_MS = 250;

function isCli(session: ClientSession): boolean {
  return session.client.mode === "cli" || session.client.id === "cli" || session.client.mode === "probe";
}

function presenceKey(session: ClientSession): string {
  return session.deviceId ?? session.client.instanceId ?? session.connId;
}

/**
 * Keeps the presence table in step with connections and publishes it, at most once per 250 ms,
 * so a join storm costs one broadcast per interval instead of one per client.
 */
export class PresenceFeed {
  private timer: NodeJS.Timeout | null = null;
  private lastPublished = 0;
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
    if (this.timer) return;
    const wait = Math.max(0, this.lastPublished + PRESENCE_BROADCAST_INTERVAL_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.lastPublished = Date.now();
      this.last = { version: this.presence.version, entries: this.presence.list() };
      this.bus.emit("presence", { presence: this.last.entries });
    }, wait);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
