import { useEffect, useRef } from "preact/hooks";
import type { JSX } from "preact";
import type { LogEntry } from "./actor-store.js";
import type { LogCursor } from "./log-cursor.js";
import { formatStateValue } from "./state-value.js";
import { useVirtualWindow } from "./virtual-window.js";

const ROW_HEIGHT = 26;

export interface EventLogProps {
  entries: readonly LogEntry[];
  cursor: LogCursor;
  onSelect(seq: number): void;
  onPauseToggle(): void;
  onStepBack(): void;
  onStepForward(): void;
}

function time(ts: number): string {
  const date = new Date(ts);
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** One actor's transitions (time, event, from → to), newest last; pausable and steppable. */
export function EventLog({
  entries,
  cursor,
  onSelect,
  onPauseToggle,
  onStepBack,
  onStepForward,
}: EventLogProps): JSX.Element {
  const scroller = useRef<HTMLDivElement>(null);
  const { start, end, total, onScroll, reveal } = useVirtualWindow(scroller, entries.length, ROW_HEIGHT);
  const selectedIndex =
    cursor.selectedSeq === null ? -1 : entries.findIndex((entry) => entry.seq === cursor.selectedSeq);

  // Live, the newest entry stays in view; paused, the selected one does.
  useEffect(
    () => reveal(cursor.paused ? selectedIndex : entries.length - 1),
    [cursor.paused, selectedIndex, entries.length, reveal],
  );

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === "ArrowUp") onStepBack();
    else if (event.key === "ArrowDown") onStepForward();
    else return;
    event.preventDefault();
  };

  const rows: JSX.Element[] = [];
  for (let i = start; i < end; i++) {
    const entry = entries[i]!;
    const isSelected = entry.seq === cursor.selectedSeq;
    rows.push(
      <div
        key={entry.seq}
        role="option"
        aria-selected={isSelected}
        data-seq={entry.seq}
        class="ins-row"
        style={{ top: `${i * ROW_HEIGHT}px` }}
        onClick={() => onSelect(entry.seq)}
      >
        <span class="ins-time">{time(entry.ts)}</span>
        <span class="ins-event" title={entry.event}>
          {entry.event || "—"}
        </span>
        <span class="ins-move">
          {formatStateValue(entry.from)} → {formatStateValue(entry.to)}
          {entry.status !== "active" ? ` (${entry.status})` : ""}
        </span>
      </div>,
    );
  }

  return (
    <section class="ins-pane ins-log" aria-label="Event log">
      <h2>
        Event log
        <span class="ins-log-controls">
          <button type="button" onClick={onStepBack} disabled={entries.length === 0} aria-label="Step back">
            ◀ Back
          </button>
          <button
            type="button"
            onClick={onStepForward}
            disabled={!cursor.paused || selectedIndex < 0 || selectedIndex >= entries.length - 1}
            aria-label="Step forward"
          >
            Forward ▶
          </button>
          <button type="button" aria-pressed={cursor.paused} onClick={onPauseToggle}>
            {cursor.paused ? "Paused — go live" : "Pause"}
          </button>
        </span>
      </h2>
      <div class="ins-scroll" ref={scroller} onScroll={onScroll}>
        {entries.length === 0 ? (
          <p class="ins-empty">No transitions seen yet.</p>
        ) : (
          <div
            role="listbox"
            aria-label="Transitions"
            tabIndex={0}
            class="ins-rows"
            style={{ height: `${total}px` }}
            onKeyDown={onKeyDown}
          >
            {rows}
          </div>
        )}
      </div>
    </section>
  );
}
