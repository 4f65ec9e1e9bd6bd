import { useEffect, useRef } from "preact/hooks";
import type { JSX } from "preact";
import { isClosed, type TreeRow } from "./actor-store.js";
import { formatStateValue } from "./state-value.js";
import { useVirtualWindow } from "./virtual-window.js";

const ROW_HEIGHT = 26;

export interface ActorTreeProps {
  rows: readonly TreeRow[];
  selected: string | null;
  onSelect(sessionId: string): void;
  onToggle(sessionId: string, expanded: boolean): void;
}

const rowDomId = (sessionId: string) => `ins-actor-${sessionId.replace(/[^A-Za-z0-9_-]/g, "_")}`;

/** The actor tree as a virtualised ARIA tree: arrows move, Left/Right fold, Home/End jump. */
export function ActorTree({ rows, selected, onSelect, onToggle }: ActorTreeProps): JSX.Element {
  const scroller = useRef<HTMLDivElement>(null);
  const { start, end, total, onScroll, reveal } = useVirtualWindow(scroller, rows.length, ROW_HEIGHT);
  const index = selected === null ? -1 : rows.findIndex((row) => row.record.sessionId === selected);

  useEffect(() => reveal(index), [index, reveal]);

  const move = (to: number) => {
    const row = rows[Math.max(0, Math.min(rows.length - 1, to))];
    if (row) onSelect(row.record.sessionId);
  };

  const onKeyDown = (event: KeyboardEvent) => {
    const row = rows[index];
    switch (event.key) {
      case "ArrowDown":
        move(index + 1);
        break;
      case "ArrowUp":
        move(index < 0 ? 0 : index - 1);
        break;
      case "Home":
        move(0);
        break;
      case "End":
        move(rows.length - 1);
        break;
      case "PageDown":
        move(index + 10);
        break;
      case "PageUp":
        move(index - 10);
        break;
      case "ArrowRight":
        if (!row) move(0);
        else if (row.hasChildren && !row.expanded) onToggle(row.record.sessionId, true);
        else if (row.hasChildren) move(index + 1);
        break;
      case "ArrowLeft":
        if (!row) break;
        if (row.hasChildren && row.expanded) onToggle(row.record.sessionId, false);
        else {
          const parent = rows.findIndex((candidate) => candidate.record.sessionId === row.record.parent);
          if (parent >= 0) move(parent);
        }
        break;
      default:
        return;
    }
    event.preventDefault();
  };

  const visible: JSX.Element[] = [];
  for (let i = start; i < end; i++) {
    const row = rows[i]!;
    const { record } = row;
    const isSelected = record.sessionId === selected;
    visible.push(
      <div
        key={record.sessionId}
        id={rowDomId(record.sessionId)}
        role="treeitem"
        aria-level={row.depth + 1}
        aria-expanded={row.hasChildren ? row.expanded : undefined}
        aria-selected={isSelected}
        aria-setsize={rows.length}
        aria-posinset={i + 1}
        data-actor-id={record.id}
        data-machine={record.machine ?? ""}
        class={`ins-row${isClosed(record) ? " ins-closed" : ""}`}
        style={{ top: `${i * ROW_HEIGHT}px`, paddingLeft: `${8 + row.depth * 14}px` }}
        onClick={() => onSelect(record.sessionId)}
      >
        <span
          class="ins-twisty"
          aria-hidden="true"
          onClick={(event) => {
            if (!row.hasChildren) return;
            event.stopPropagation();
            onToggle(record.sessionId, !row.expanded);
          }}
        >
          {row.hasChildren ? (row.expanded ? "▾" : "▸") : ""}
        </span>
        <span
          class="ins-dot"
          data-status={record.machine === null && record.state === null ? "none" : record.status}
        />
        <span class="ins-name" title={record.id}>
          {record.id}
        </span>
        <span class="ins-state" title={formatStateValue(record.state)}>
          {isClosed(record)
            ? `${formatStateValue(record.state)} · ${record.status}`
            : formatStateValue(record.state)}
        </span>
      </div>,
    );
  }

  return (
    <div class="ins-scroll" ref={scroller} onScroll={onScroll}>
      <div
        role="tree"
        aria-label="Actors"
        tabIndex={0}
        aria-activedescendant={index >= 0 ? rowDomId(selected!) : undefined}
        class="ins-rows"
        style={{ height: `${total}px` }}
        onKeyDown={onKeyDown}
        onFocus={() => {
          if (index < 0) move(0);
        }}
      >
        {visible}
      </div>
    </div>
  );
}
