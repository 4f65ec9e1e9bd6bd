import type { ActorTreeNode, InspectTransition } from "../../../src/protocol/actor-inspection.js";
import { statePaths } from "./state-value.js";

/** One transition of one actor as the event log shows it. */
export interface LogEntry {
  /** Counts this actor's entries from 1; stays with the entry when older ones are dropped. */
  seq: number;
  ts: number;
  event: string;
  from: unknown;
  to: unknown;
  status: string;
}

export interface ActorRecord {
  sessionId: string;
  id: string;
  machine: string | null;
  parent: string | null;
  state: unknown;
  status: string;
  since?: number;
  children: string[];
  log: LogEntry[];
}

export interface TreeFilter {
  /** Only actors running this machine (and their ancestors, for context). */
  machine: string | null;
  /** Only actors in this state (a state path such as `ready` or `supervising.running`). */
  state: string | null;
  hideClosed: boolean;
}

export interface TreeRow {
  record: ActorRecord;
  depth: number;
  hasChildren: boolean;
  expanded: boolean;
}

export interface StoreLimits {
  /** Entries kept per actor; older ones are dropped first. */
  logPerActor: number;
  /** Ended actors kept for their logs; the longest-ended go first. */
  closedKept: number;
}

export const isClosed = (record: ActorRecord): boolean => record.status !== "active";

/**
 * Every actor the inspector has seen: the live tree from `inspect.snapshot`, moved on by `inspect`
 * events, plus ended actors and a bounded log of each actor's transitions.
 */
export class ActorStore {
  readonly actors = new Map<string, ActorRecord>();
  /** Changes on every update: a cheap way for a view to know it must re-read. */
  version = 0;
  private readonly closedOrder: string[] = [];

  constructor(private readonly limits: StoreLimits = { logPerActor: 500, closedKept: 500 }) {}

  /** The live tree replaces what was live: an actor missing from it ended while nobody watched. */
  applySnapshot(roots: ActorTreeNode[], ts: number): void {
    const seen = new Set<string>();
    const walk = (node: ActorTreeNode, parent: string | null) => {
      seen.add(node.sessionId);
      const record = this.upsert(node.sessionId, node.id, node.machine, parent);
      if (record.state !== null && !sameJson(record.state, node.state)) {
        this.append(record, {
          ts,
          event: "(snapshot)",
          from: record.state,
          to: node.state,
          status: node.status,
        });
      }
      record.state = node.state;
      record.status = node.status;
      if (node.since !== undefined) record.since = node.since;
      node.children.forEach((child) => walk(child, node.sessionId));
    };
    roots.forEach((root) => walk(root, null));
    for (const record of this.actors.values()) {
      if (!seen.has(record.sessionId) && !isClosed(record)) this.close(record, "stopped", ts, "(gone)");
    }
    this.version++;
  }

  applyTransitions(changes: readonly InspectTransition[]): void {
    for (const change of changes) {
      const actor = change.actor;
      const record = this.upsert(actor.sessionId, actor.id, actor.machine, actor.parent);
      if (change.kind === "actor") {
        record.state = actor.state;
        record.status = actor.status;
        record.since = change.ts;
        continue;
      }
      this.append(record, {
        ts: change.ts,
        event: change.event ?? "",
        from: record.state,
        to: actor.state,
        status: actor.status,
      });
      record.state = actor.state;
      record.since = change.ts;
      if (actor.status !== "active") this.close(record, actor.status);
      else record.status = actor.status;
    }
    this.version++;
  }

  roots(): ActorRecord[] {
    return [...this.actors.values()].filter(
      (record) => record.parent === null || !this.actors.has(record.parent),
    );
  }

  /** The machines actors run, for the machine filter. */
  machines(): string[] {
    const names = new Set<string>();
    for (const record of this.actors.values()) if (record.machine) names.add(record.machine);
    return [...names].sort();
  }

  /** The tree as rows in display order: collapsed subtrees left out; filtered-out actors kept only as ancestors of matches. */
  rows(filter: TreeFilter, collapsed: ReadonlySet<string>): TreeRow[] {
    const matches = (record: ActorRecord) =>
      (filter.machine === null || record.machine === filter.machine) &&
      (filter.state === null || statePaths(record.state).includes(filter.state));
    const shown = new Map<string, boolean>();
    const visible = (record: ActorRecord): boolean => {
      const known = shown.get(record.sessionId);
      if (known !== undefined) return known;
      let result = false;
      if (!(filter.hideClosed && isClosed(record))) {
        result = matches(record);
        for (const child of record.children) {
          const childRecord = this.actors.get(child);
          if (childRecord && visible(childRecord)) result = true;
        }
      }
      shown.set(record.sessionId, result);
      return result;
    };
    const rows: TreeRow[] = [];
    const emit = (record: ActorRecord, depth: number) => {
      if (!visible(record)) return;
      const children = record.children
        .map((child) => this.actors.get(child))
        .filter((child): child is ActorRecord => child !== undefined && visible(child));
      const expanded = !collapsed.has(record.sessionId);
      rows.push({ record, depth, hasChildren: children.length > 0, expanded });
      if (expanded) children.forEach((child) => emit(child, depth + 1));
    };
    this.roots().forEach((root) => emit(root, 0));
    return rows;
  }

  private upsert(sessionId: string, id: string, machine: string | null, parent: string | null): ActorRecord {
    let record = this.actors.get(sessionId);
    if (!record) {
      record = { sessionId, id, machine, parent: null, state: null, status: "active", children: [], log: [] };
      this.actors.set(sessionId, record);
    }
    // A placeholder made for a parent reported before its own record gets its real name here.
    record.id = id;
    if (machine !== null) record.machine = machine;
    if (parent !== record.parent && parent !== sessionId) {
      if (record.parent !== null) this.detach(record.parent, sessionId);
      record.parent = parent;
      if (parent !== null) this.childrenOf(parent).push(sessionId);
    }
    return record;
  }

  /** A parent may be reported before its own record arrives: it gets a placeholder that the parent's data fills. */
  private childrenOf(parent: string): string[] {
    let record = this.actors.get(parent);
    if (!record) {
      record = {
        sessionId: parent,
        id: parent,
        machine: null,
        parent: null,
        state: null,
        status: "active",
        children: [],
        log: [],
      };
      this.actors.set(parent, record);
    }
    return record.children;
  }

  private detach(parent: string, child: string): void {
    const siblings = this.actors.get(parent)?.children;
    const index = siblings?.indexOf(child) ?? -1;
    if (siblings && index >= 0) siblings.splice(index, 1);
  }

  private append(record: ActorRecord, entry: Omit<LogEntry, "seq">): void {
    const seq = (record.log[record.log.length - 1]?.seq ?? 0) + 1;
    record.log.push({ seq, ...entry });
    if (record.log.length > this.limits.logPerActor)
      record.log.splice(0, record.log.length - this.limits.logPerActor);
  }

  private close(record: ActorRecord, status: string, ts?: number, event?: string): void {
    const wasClosed = isClosed(record);
    if (ts !== undefined && event !== undefined) {
      this.append(record, { ts, event, from: record.state, to: record.state, status });
    }
    record.status = status;
    if (wasClosed) return;
    this.closedOrder.push(record.sessionId);
    while (this.closedOrder.length > this.limits.closedKept) this.evict(this.closedOrder.shift()!);
  }

  /** Drops an ended actor; its children (if any are left) move up to its parent. */
  private evict(sessionId: string): void {
    const record = this.actors.get(sessionId);
    if (!record || !isClosed(record)) return;
    if (record.parent !== null) this.detach(record.parent, sessionId);
    for (const child of record.children) {
      const childRecord = this.actors.get(child);
      if (!childRecord) continue;
      childRecord.parent = record.parent;
      if (record.parent !== null) this.childrenOf(record.parent).push(child);
    }
    this.actors.delete(sessionId);
  }
}

function sameJson(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}
