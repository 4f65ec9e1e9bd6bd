import type { LogEntry } from "./actor-store.js";

/**
 * Where the reader of one actor's event log is: following live, or paused (the list stops growing) with
 * an entry selected, whose resulting state the diagram shows.
 */
export interface LogCursor {
  paused: boolean;
  /** While paused: the last entry the list shows. */
  frozenSeq: number | null;
  /** The selected entry; `null` shows the actor's current state. */
  selectedSeq: number | null;
}

export const LIVE: LogCursor = { paused: false, frozenSeq: null, selectedSeq: null };

export function visibleEntries(log: readonly LogEntry[], cursor: LogCursor): readonly LogEntry[] {
  if (!cursor.paused || cursor.frozenSeq === null) return log;
  const frozen = cursor.frozenSeq;
  let end = log.length;
  while (end > 0 && log[end - 1]!.seq > frozen) end--;
  return end === log.length ? log : log.slice(0, end);
}

export function pause(log: readonly LogEntry[], cursor: LogCursor): LogCursor {
  if (cursor.paused) return cursor;
  return { paused: true, frozenSeq: log[log.length - 1]?.seq ?? 0, selectedSeq: cursor.selectedSeq };
}

export function select(log: readonly LogEntry[], cursor: LogCursor, seq: number): LogCursor {
  return { ...pause(log, cursor), selectedSeq: seq };
}

/** One entry back (from live: the newest entry, i.e. the state now; then the one before). */
export function stepBack(log: readonly LogEntry[], cursor: LogCursor): LogCursor {
  const paused = pause(log, cursor);
  const entries = visibleEntries(log, paused);
  if (entries.length === 0) return paused;
  const index =
    paused.selectedSeq === null
      ? entries.length
      : entries.findIndex((entry) => entry.seq === paused.selectedSeq);
  const target = entries[Math.max(0, (index < 0 ? entries.length : index) - 1)]!;
  return { ...paused, selectedSeq: target.seq };
}

export function stepForward(log: readonly LogEntry[], cursor: LogCursor): LogCursor {
  if (!cursor.paused || cursor.selectedSeq === null) return cursor;
  const entries = visibleEntries(log, cursor);
  const index = entries.findIndex((entry) => entry.seq === cursor.selectedSeq);
  const next = entries[index + 1];
  return next ? { ...cursor, selectedSeq: next.seq } : cursor;
}

/** The state to draw: the selected entry's resulting state, else the actor's current one. */
export function stateAt(
  log: readonly LogEntry[],
  cursor: LogCursor,
  current: unknown,
): { state: unknown; entry: LogEntry | null } {
  if (cursor.selectedSeq !== null) {
    const entry = log.find((candidate) => candidate.seq === cursor.selectedSeq);
    if (entry) return { state: entry.to, entry };
  }
  return { state: current, entry: log[log.length - 1] ?? null };
}
