import { EventEmitter } from "eventemitter3";
import type { InspectionEvent } from "xstate";
import { CHILD_ERROR_EVENT_PREFIX } from "../machines/failure-parent.js";
import type { ActorNode, ActorTreeNode, InspectTransition } from "../protocol/actor-inspection.js";

interface InspectedRef {
  id: string;
  sessionId: string;
  _parent?: { sessionId: string };
  logic?: { id?: string; config?: { id?: string } };
}

/** Actors created outside the root's tree (the parents of all connections and of all runs, channel accounts) hang under these logical parents. */
const LOGICAL_PARENTS: Record<string, string> = {
  connections: "gateway",
  runs: "gateway",
  channel: "gateway",
};

/**
 * Actors inspected only while someone follows transitions: there can be thousands (connections), and
 * an inspected actor costs a dozen inspection events per state change. The group lists its actors
 * when the tree is asked for, and streams their inspection events only while followed.
 */
export interface OnDemandActors {
  /** The group's actors as they are now, its own root first. */
  nodes(): ActorNode[];
  /** How many there are. */
  size(): number;
  /** Streams the group's inspection events to `observer` until the returned function is called. */
  observe(observer: (event: InspectionEvent) => void): () => void;
}

interface FollowedGroup {
  stop: () => void;
  /** The group's actors now in `actors`, to take out again when nobody follows. */
  sessionIds: Set<string>;
}

/**
 * One stream that observes every actor: the xstate `inspect` option of the root actor and of the
 * runs' parent points here, and on-demand groups (the connections) stream here while followed.
 */
export class Inspection extends EventEmitter<{ transition: (change: InspectTransition) => void }> {
  private readonly actors = new Map<string, ActorNode>();
  private readonly newestByMachine = new Map<string, string>();
  private readonly groups = new Map<OnDemandActors, FollowedGroup | null>();

  addGroup(group: OnDemandActors): void {
    this.groups.set(group, null);
    if (this.listenerCount("transition") > 0) this.startFollowing(group);
  }

  removeGroup(group: OnDemandActors): void {
    this.stopFollowing(group);
    this.groups.delete(group);
  }

  /** Streams every transition to `listener`; on-demand groups stream while anyone follows. */
  follow(listener: (change: InspectTransition) => void): void {
    this.on("transition", listener);
    if (this.listenerCount("transition") === 1)
      for (const group of this.groups.keys()) this.startFollowing(group);
  }

  unfollow(listener: (change: InspectTransition) => void): void {
    this.off("transition", listener);
    if (this.listenerCount("transition") === 0)
      for (const group of this.groups.keys()) this.stopFollowing(group);
  }

  private startFollowing(group: OnDemandActors): void {
    if (this.groups.get(group)) return;
    const sessionIds = new Set<string>();
    for (const node of group.nodes()) {
      this.actors.set(node.sessionId, this.withParent({ ...node }));
      sessionIds.add(node.sessionId);
    }
    const stop = group.observe((event) => {
      this.inspect(event);
      // Every event of the group's system is about one of its actors: keep the set to those in the tree now.
      const sessionId = event.actorRef.sessionId;
      if (this.actors.has(sessionId)) sessionIds.add(sessionId);
      else sessionIds.delete(sessionId);
    });
    this.groups.set(group, { stop, sessionIds });
  }

  private stopFollowing(group: OnDemandActors): void {
    const followed = this.groups.get(group);
    if (!followed) return;
    followed.stop();
    for (const sessionId of followed.sessionIds) this.actors.delete(sessionId);
    this.groups.set(group, null);
  }

  /** An actor outside the root's tree hangs under its logical parent, the newest actor of that machine. */
  private withParent(node: ActorNode): ActorNode {
    if (node.parent !== null) return node;
    const colon = node.id.indexOf(":");
    const logicalParent = LOGICAL_PARENTS[colon < 0 ? node.id : node.id.slice(0, colon)];
    node.parent = logicalParent ? (this.newestByMachine.get(logicalParent) ?? null) : null;
    return node;
  }

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
    const node = this.withParent({
      id: ref.id,
      sessionId: ref.sessionId,
      machine,
      parent: ref._parent?.sessionId ?? null,
      state: null,
      status: "active",
      since: Date.now(),
    });
    this.actors.set(ref.sessionId, node);
    if (machine) this.newestByMachine.set(machine, ref.sessionId);
    if (this.listenerCount("transition") > 0)
      this.emit("transition", { kind: "actor", actor: { ...node }, ts: node.since ?? Date.now() });
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
        ts: node.since ?? Date.now(),
      });
    }
  }

  /** The actors followed now, and those of groups nobody follows, as they are now. */
  private allActors(): ActorNode[] {
    const all = [...this.actors.values()];
    for (const [group, followed] of this.groups) {
      if (!followed) for (const node of group.nodes()) all.push(this.withParent(node));
    }
    return all;
  }

  /** The live actor tree, roots first. */
  tree(): ActorTreeNode[] {
    const actors = this.allActors();
    const nodes = new Map<string, ActorTreeNode>();
    for (const actor of actors) {
      const { parent: _parent, ...rest } = actor;
      nodes.set(actor.sessionId, { ...rest, children: [] });
    }
    const roots: ActorTreeNode[] = [];
    for (const actor of actors) {
      const node = nodes.get(actor.sessionId) as ActorTreeNode;
      const parent = actor.parent ? nodes.get(actor.parent) : undefined;
      if (parent) parent.children.push(node);
      else roots.push(node);
    }
    return roots;
  }

  count(): number {
    let count = this.actors.size;
    for (const [group, followed] of this.groups) if (!followed) count += group.size();
    return count;
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
