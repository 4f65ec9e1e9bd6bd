import type { ClientSession } from "../protocol/client-session.js";
import type { PresenceEntry } from "../protocol/index.js";
import type { PresenceTable } from "../state/presence.js";
import type { EventBus } from "./event-bus.js";

/** hello-ok and full `presence` events carry at most this many entries, newest first. */
export const PRESENCE_LIST_LIMIT = 50;
/** A delta with more upserts or removals than this goes out as the capped list instead (a reset). */
const DELTA_MAX_UPSERTS = PRESENCE_LIST_LIMIT;
const DELTA_MAX_REMOVALS = 1000;

/** The presence last sent to clients: the newest entries, how many there are, and the version. */
export interface PublishedPresence {
  version: number;
  entries: readonly PresenceEntry[];
  total: number;
}

/** A burst of joins, leaves and presence events is published once it pauses this long... */
const PRESENCE_SETTLE_MS = 250;
/** ...or, if it goes on, once its first change has waited this long. */
const PRESENCE_MAX_DELAY_MS = 1000;
/**
 * ...and a second more for every 2,000 connected clients (up to 5 s): in a storm every publication is
 * the capped list to everyone, so this bounds what a reconnect storm of N clients sends to about N²/2000
 * lists rather than one list per client every second.
 */
const CLIENTS_PER_DELAY_STEP = 2000;
const PRESENCE_MAX_DELAY_CAP_MS = 5000;

function isCli(session: ClientSession): boolean {
  return session.client.mode === "cli" || session.client.id === "cli" || session.client.mode === "probe";
}

/** One `roles` array per role, shared by every entry (the table holds one entry per client). */
const ROLE_LISTS = new Map<string, readonly string[]>();
function rolesOf(role: string): string[] {
  let roles = ROLE_LISTS.get(role);
  if (!roles) ROLE_LISTS.set(role, (roles = Object.freeze([role])));
  return roles as string[];
}

function presenceKey(session: ClientSession): string {
  return session.deviceId ?? session.client.instanceId ?? session.connId;
}

/**
 * Keeps the presence table in step with connections and publishes it when changes settle: 250 ms
 * after the last one, and at least once a second while they keep coming. Broadcasts are therefore at
 * least 250 ms apart, and a reconnect storm of N clients, where every broadcast of the whole list goes
 * to everyone already back, costs a broadcast or two instead of one per interval. A publication
 * carries the newest entries only (PRESENCE_LIST_LIMIT) and, for clients that asked for it, just
 * what changed, so its size does not grow with the number of clients.
 */
export class PresenceFeed {
  private timer: NodeJS.Timeout | null = null;
  /** When the first change not yet published was made. */
  private pendingSince = 0;
  private lastChange = 0;
  private last: PublishedPresence;

  constructor(
    private readonly presence: PresenceTable,
    private readonly bus: EventBus,
    /** How many clients a publication goes to. */
    private readonly audience: () => number = () => 0,
  ) {
    presence.takeChanges();
    this.last = {
      version: presence.version,
      entries: presence.page(0, PRESENCE_LIST_LIMIT),
      total: presence.size,
    };
  }

  /** What clients were last sent: a new client's hello-ok carries this, and the next broadcast brings it up to date. */
  published(): PublishedPresence {
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
      roles: rolesOf(session.role),
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
    const steps = 1 + Math.floor(this.audience() / CLIENTS_PER_DELAY_STEP);
    const maxDelay = Math.min(PRESENCE_MAX_DELAY_MS * steps, PRESENCE_MAX_DELAY_CAP_MS);
    const due = Math.min(this.lastChange + PRESENCE_SETTLE_MS, this.pendingSince + maxDelay);
    if (due > now) {
      this.timer = setTimeout(this.settle, due - now);
      return;
    }
    this.timer = null;
    const changes = this.presence.takeChanges();
    const baseVersion = this.last.version;
    const total = this.presence.size;
    this.last = {
      version: this.presence.version,
      entries: this.presence.page(0, PRESENCE_LIST_LIMIT),
      total,
    };
    const small =
      changes.upserted.length <= DELTA_MAX_UPSERTS && changes.removed.length <= DELTA_MAX_REMOVALS;
    this.bus.emit("presence", {
      ts: now,
      version: this.last.version,
      list: { presence: this.last.entries, total },
      delta: small
        ? { ts: now, baseVersion, total, upsert: changes.upserted, remove: changes.removed }
        : null,
    });
  };

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
