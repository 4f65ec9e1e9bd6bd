import os from "node:os";
import type { PresenceEntry } from "../protocol/index.js";

const ENTRY_TTL_MS = 5 * 60_000;
/** Enough for every client of a busy gateway; beyond it the oldest entry goes. */
export const MAX_PRESENCE_ENTRIES = 20_000;

export interface PresenceOptions {
  version: string;
  now?: () => number;
}

/** What changed since the last `takeChanges()`: entries (re)written, and keys that went. */
export interface PresenceChanges {
  upserted: PresenceEntry[];
  removed: string[];
}

/** The fields an entry may carry besides `key` and `ts`, in the order they are stored. */
const ENTRY_FIELDS = [
  "host",
  "ip",
  "version",
  "platform",
  "deviceFamily",
  "modelIdentifier",
  "mode",
  "lastInputSeconds",
  "reason",
  "tags",
  "text",
  "deviceId",
  "roles",
  "scopes",
  "instanceId",
] as const;

/**
 * The entry as stored: its defined fields copied one by one rather than spread. V8 gives every object
 * spread from a source whose fields were sometimes undefined a hidden class of its own (about 250
 * bytes); built like this, entries with the same fields share one.
 */
function storedEntry(key: string, fields: Omit<PresenceEntry, "ts" | "key">, ts: number): PresenceEntry {
  const entry: Record<string, unknown> = { key };
  for (const name of ENTRY_FIELDS) {
    const value = fields[name];
    if (value !== undefined) entry[name] = value;
  }
  entry.ts = ts;
  return entry as PresenceEntry;
}

function primaryIPv4(): string | undefined {
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === "IPv4" && !address.internal) return address.address;
    }
  }
  return undefined;
}

/**
 * Who is connected (and the gateway itself), newest first, with a version that rises on every change.
 * Each entry carries its `key` (device id, instance id or connection id), which presence deltas name.
 */
export class PresenceTable {
  private readonly entries = new Map<string, PresenceEntry>();
  /** Keys changed since the last takeChanges(), in the order of their last change. */
  private readonly changedKeys = new Set<string>();
  private readonly now: () => number;
  private readonly self: PresenceEntry;
  version = 1;

  constructor(options: PresenceOptions) {
    this.now = options.now ?? Date.now;
    const host = os.hostname();
    const ip = primaryIPv4();
    this.self = {
      key: "gateway",
      host,
      ip,
      version: options.version,
      platform: process.platform,
      mode: "gateway",
      reason: "self",
      text: `Gateway: ${host}${ip ? ` (${ip})` : ""} · app ${options.version} · mode gateway · reason self`,
      ts: this.now(),
    };
  }

  upsert(key: string, entry: Omit<PresenceEntry, "ts" | "key">): void {
    this.entries.delete(key);
    this.entries.set(key, storedEntry(key, entry, this.now()));
    this.touched(key);
    while (this.entries.size > MAX_PRESENCE_ENTRIES) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
      this.touched(oldest);
    }
    this.version += 1;
  }

  /** A client left: its entry goes (the broadcast that follows tells everyone). */
  remove(key: string): boolean {
    if (!this.entries.delete(key)) return false;
    this.touched(key);
    this.version += 1;
    return true;
  }

  /** Entries, the gateway's own included. */
  get size(): number {
    this.expire();
    return this.entries.size + 1;
  }

  /** Every entry, newest first, the gateway's own first. */
  list(): PresenceEntry[] {
    return this.page(0, this.size);
  }

  /** `limit` entries from `offset` of the newest-first list (the gateway's own entry is offset 0). */
  page(offset: number, limit: number): PresenceEntry[] {
    this.expire();
    const page: PresenceEntry[] = [];
    if (limit <= 0) return page;
    if (offset === 0) page.push({ ...this.self, ts: this.now() });
    // Map order is oldest first: index i of the newest-first list (after the gateway) is size-1-i.
    const first = Math.max(0, offset - 1);
    const stop = this.entries.size - first;
    const start = Math.max(0, stop - (limit - page.length));
    let index = 0;
    const picked: PresenceEntry[] = [];
    for (const entry of this.entries.values()) {
      if (index >= stop) break;
      if (index >= start) picked.push(entry);
      index += 1;
    }
    for (let i = picked.length - 1; i >= 0; i -= 1) page.push(picked[i] as PresenceEntry);
    return page;
  }

  /** What changed since the previous call (expired entries count as removed). */
  takeChanges(): PresenceChanges {
    this.expire();
    const changes: PresenceChanges = { upserted: [], removed: [] };
    for (const key of this.changedKeys) {
      const entry = this.entries.get(key);
      if (entry) changes.upserted.push(entry);
      else changes.removed.push(key);
    }
    this.changedKeys.clear();
    changes.upserted.reverse();
    return changes;
  }

  private touched(key: string): void {
    this.changedKeys.delete(key);
    this.changedKeys.add(key);
  }

  private expire(): void {
    const cutoff = this.now() - ENTRY_TTL_MS;
    // Oldest first: the first entry young enough ends the scan.
    for (const [key, entry] of this.entries) {
      if (entry.ts >= cutoff) break;
      this.entries.delete(key);
      this.touched(key);
      this.version += 1;
    }
  }
}
