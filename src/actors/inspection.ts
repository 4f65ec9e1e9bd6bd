import { EventEmitter } from "eventemitter3";
import type { InspectionEvent } from "xstate";

export interface ActorNode {
  /** The actor's name in the tree: `supervisor`, `gateway`, `connection:<connId>`, `run:<runId>`, ... */
  id: string;
  sessionId: string;
  machine: string | null;
  parent: string | null;
  state: unknown;
  status: string;
  since: number;
}

export interface InspectTransition {
  kind: "actor" | "transition" | "stopped";
  actor: ActorNode;
  event?: string;
  ts: number;
}

export interface ActorTreeNode extends Omit<ActorNode, "parent"> {
  children: ActorTreeNode[];
}

interface InspectedRef {
  id: string;
  sessionId: string;
  _parent?: { sessionId: string };
  logic?: { id?: string; config?: { id?: string } };
}

/** The event type prefix xstate uses to tell a parent that one of its child actors failed. */
export const CHILD_ERROR_EVENT_PREFIX = "xstate.error.actor.";

/** Actors created outside the root's tree (the parents of all connections and of all runs) hang under these logical parents. */
const LOGICAL_PARENTS: Record<string, string> = { connections: "gateway", runs: "gateway" };

/**
 * One stream that observes every actor: the xstate `inspect` option of the root actor and of
 * every standalone connection/run actor points here.
 */
export class Inspection extends EventEmitter<{ transition: (change: InspectTransition) => void }> {
  private readonly actors = new Map<string, ActorNode>();
  private readonly newestByMachine = new Map<string, string>();

  readonly inspect = (event: InspectionEvent): void => {
    if (event.type === "@xstate.actor") this.onActor(event.actorRef as unknown as InspectedRef);
    else if (event.type === "@xstate.snapshot") {
      const ref = event.actorRef as unknown as InspectedRef;
      const snapshot = event.snapshot as { value?: unknown; status?: string };
      this.onSnapshot(ref, snapshot, (event.event as { type?: string }).type);
    } else if (
      event.type === "@xstate.event" &&
      event.sourceRef &&
      event.event.type.startsWith(CHILD_ERROR_EVENT_PREFIX)
    ) {
      // An actor that fails emits no snapshot; its parent is told with this event.
      const ref = event.sourceRef as unknown as InspectedRef;
      const node = this.actors.get(ref.sessionId);
      if (node) this.onSnapshot(ref, { value: node.state, status: "error" }, event.event.type);
    }
  };

  private onActor(ref: InspectedRef): void {
    const machine = ref.logic?.config?.id ?? ref.logic?.id ?? null;
    const colon = ref.id.indexOf(":");
    const prefix = colon < 0 ? ref.id : ref.id.slice(0, colon);
    const logicalParent = LOGICAL_PARENTS[prefix];
    const parent =
      ref._parent?.sessionId ?? (logicalParent ? (this.newestByMachine.get(logicalParent) ?? null) : null);
    const node: ActorNode = {
      id: ref.id,
      sessionId: ref.sessionId,
      machine,
      parent,
      state: null,
      status: "active",
      since: Date.now(),
    };
    this.actors.set(ref.sessionId, node);
    if (machine) this.newestByMachine.set(machine, ref.sessionId);
    if (this.listenerCount("transition") > 0)
      this.emit("transition", { kind: "actor", actor: node, ts: node.since });
  }

  private onSnapshot(
    ref: InspectedRef,
    snapshot: { value?: unknown; status?: string },
    eventType?: string,
  ): void {
    const node = this.actors.get(ref.sessionId);
    if (!node) return;
    const status = snapshot.status ?? "active";
    // Actors without states (callbacks, promises) have no value: an event they take changes nothing to show.
    const state = snapshot.value ?? null;
    const changed = node.status !== status || !sameValue(node.state, state);
    node.state = state;
    node.status = status;
    if (changed) node.since = Date.now();
    if (status !== "active") this.actors.delete(ref.sessionId);
    if (changed && this.listenerCount("transition") > 0) {
      this.emit("transition", {
        kind: status === "active" ? "transition" : "stopped",
        actor: { ...node },
        event: eventType,
        ts: node.since,
      });
    }
  }

  /** The live actor tree, roots first. */
  tree(): ActorTreeNode[] {
    const nodes = new Map<string, ActorTreeNode>();
    for (const actor of this.actors.values()) {
      const { parent: _parent, ...rest } = actor;
      nodes.set(actor.sessionId, { ...rest, children: [] });
    }
    const roots: ActorTreeNode[] = [];
    for (const actor of this.actors.values()) {
      const node = nodes.get(actor.sessionId) as ActorTreeNode;
      const parent = actor.parent ? nodes.get(actor.parent) : undefined;
      if (parent) parent.children.push(node);
      else roots.push(node);
    }
    return roots;
  }

  count(): number {
    return this.actors.size;
  }
}

/** State values are strings or objects of state values; compared on every snapshot, so without serializing. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  let keys = 0;
  for (const key in left) {
    if (!(key in right) || !sameValue(left[key], right[key])) return false;
    keys += 1;
  }
  for (const _key in right) keys -= 1;
  return keys === 0;
}
