import fs from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import type { SubsystemLogger } from "../log/logger.js";
import { StateStore, StoreError } from "./state-store.js";

/** Below this much free space next to state.db, the store counts as full: the next run may not fit. */
export const MIN_FREE_BYTES = 1024 * 1024;
/** Readiness probes within this window share one check (one write probe): a probe flood writes little. */
const READINESS_REUSE_MS = 1_000;

/** What `PRAGMA quick_check` found when the gateway opened state.db, and what it cost. */
export interface IntegrityAtOpen {
  ok: boolean;
  /** Up to five of SQLite's findings; `["ok"]` when healthy. */
  problems: string[];
  durationMs: number;
  checkedAt: number;
}

export interface StoreStatus {
  ok: boolean;
  file: string;
  /** Why state.db cannot be used or written right now; null when it can. */
  problem: string | null;
  integrityAtOpen: IntegrityAtOpen | null;
  /** Free bytes on the state.db's filesystem (null when unknown). */
  freeBytes: number | null;
  checkedAt: number;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function freeBytesOf(dir: string): number | null {
  try {
    const stats = fs.statfsSync(dir);
    return stats.bavail * stats.bsize;
  } catch {
    return null;
  }
}

/**
 * Whether state.db is fit for use, for `health` and `/readyz`: it opened and passed its integrity check,
 * a small write commits, and its disk has room. A store that fails here makes the gateway unready,
 * it does not stop it.
 */
export class StoreHealth {
  integrityAtOpen: IntegrityAtOpen | null = null;
  private last: StoreStatus | null = null;

  constructor(readonly file: string) {}

  /** For readiness probes: the last check if it is recent, else a new one. */
  recent(store: StateStore | null, openError: string | null, now = Date.now()): StoreStatus {
    if (this.last && now - this.last.checkedAt < READINESS_REUSE_MS && openError === null) return this.last;
    return this.check(store, openError, now);
  }

  check(store: StateStore | null, openError: string | null, now = Date.now()): StoreStatus {
    const dir = path.dirname(this.file);
    const freeBytes = freeBytesOf(dir);
    let problem = openError;
    if (problem === null && store === null) problem = `state database ${this.file} is not open`;
    if (problem === null && store !== null) {
      try {
        store.probeWrite(now);
      } catch (error) {
        problem = `state database ${this.file} cannot be written: ${describe(error)}`;
      }
    }
    if (problem === null && freeBytes !== null && freeBytes < MIN_FREE_BYTES) {
      problem = `disk full: ${freeBytes} bytes free in ${dir}; state.db needs room to save runs`;
    }
    this.last = {
      ok: problem === null,
      file: this.file,
      problem,
      integrityAtOpen: this.integrityAtOpen,
      freeBytes,
      checkedAt: now,
    };
    return this.last;
  }
}

/** SQLite says "unable to open database file" for a directory it cannot write: name the directory. */
function openOrExplain(file: string): StateStore {
  try {
    return StateStore.open(file);
  } catch (error) {
    const dir = path.dirname(file);
    try {
      fs.accessSync(dir, fs.constants.W_OK);
    } catch (access) {
      const code = (access as NodeJS.ErrnoException).code ?? "EACCES";
      throw new StoreError(file, new Error(`its directory ${dir} cannot be written (${code})`));
    }
    throw error;
  }
}

/**
 * Opens state.db and runs `PRAGMA quick_check` on it (its cost is logged): corrupt pages make the store
 * unusable at start, with the reason, instead of failing some write much later.
 */
export function openCheckedStore(file: string, health: StoreHealth, log: SubsystemLogger): StateStore {
  const store = openOrExplain(file);
  const started = performance.now();
  let problems: string[];
  try {
    // SQLite puts several findings in one row, under a "*** in database main ***" heading.
    problems = store
      .quickCheck()
      .flatMap((row) => row.split("\n"))
      .filter((line) => line !== "" && !line.startsWith("*** "));
  } catch (error) {
    problems = [describe(error)];
  }
  const durationMs = Math.round((performance.now() - started) * 10) / 10;
  const ok = problems.length === 1 && problems[0] === "ok";
  health.integrityAtOpen = { ok, problems: problems.slice(0, 5), durationMs, checkedAt: Date.now() };
  if (!ok) {
    store.close();
    throw new StoreError(
      file,
      new Error(
        `quick_check found damage (${problems.slice(0, 2).join("; ")}${problems.length > 2 ? "; …" : ""})`,
      ),
    );
  }
  log.info(`state.db quick_check ok (${durationMs} ms)`);
  return store;
}
