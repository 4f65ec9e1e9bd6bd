// What the inspection stream tells clients: the `inspect` event and `inspect.snapshot`.

export interface ActorNode {
  /** The actor's name in the tree: `supervisor`, `gateway`, `connection:<connId>`, `run:<runId>`, ... */
  id: string;
  sessionId: string;
  machine: string | null;
  parent: string | null;
  state: unknown;
  status: string;
  /** When the actor entered its current state; absent for an on-demand actor nobody followed into it. */
  since?: number;
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
