import os from "node:os";
import type { PresenceEntry } from "../protocol/index.js";

const ENTRY_TTL_MS = 5 * 60_000;
const MAX_ENTRIES = 200;

export interface PresenceOptions {
  version: string;
  now?: () => number;
}

function primaryIPv4(): string | undefined {
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === "IPv4" && !address.internal) return address.address;
    }
  }
  return undefined;
}

/** Who is connected (and the gateway itself), newest first, with a version that rises on every change. */
export class PresenceTable {
  private readonly entries = new Map<string, PresenceEntry>();
  private readonly now: () => number;
  private readonly self: PresenceEntry;
  version = 1;

  constructor(options: PresenceOptions) {
    this.now = options.now ?? Date.now;
    const host = os.hostname();
    const ip = primaryIPv4();
    this.self = {
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

  upsert(key: string, entry: Omit<PresenceEntry, "ts">): void {
    this.entries.delete(key);
    this.entries.set(key, { ...entry, ts: this.now() });
    while (this.entries.size > MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    this.version += 1;
  }

  /** A client left: its entry goes (the broadcast that follows tells everyone). */
  remove(key: string): boolean {
    if (!this.entries.delete(key)) return false;
    this.version += 1;
    return true;
  }

  list(): PresenceEntry[] {
    const cutoff = this.now() - ENTRY_TTL_MS;
    for (const [key, entry] of this.entries) if (entry.ts < cutoff) this.entries.delete(key);
    const others = [...this.entries.values()].reverse();
    return [{ ...this.self, ts: this.now() }, ...others];
  }
}
