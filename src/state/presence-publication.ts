import type { PresenceEntry } from "../protocol/index.js";

/** One publication, in both shapes: the capped list, and (unless too large) the delta since the previous one. */
export interface PresencePublication {
  ts: number;
  version: number;
  list: { presence: readonly PresenceEntry[]; total: number };
  delta: {
    ts: number;
    baseVersion: number;
    total: number;
    upsert: readonly PresenceEntry[];
    remove: readonly string[];
  } | null;
}
