import type { ActorTreeNode, InspectTransition } from "../protocol/actor-inspection.js";

export function formatStateValue(value: unknown): string {
  if (value === null || value === undefined) return "-";
  if (typeof value === "string") return value;
  if (typeof value === "object") {
    return Object.entries(value as Record<string, unknown>)
      .map(([key, child]) => {
        const inner = formatStateValue(child);
        return inner === "-" ? key : `${key}.${inner}`;
      })
      .join(", ");
  }
  return String(value);
}

/** The actor tree as an indented listing: `name  state`. */
export function renderActorTree(roots: ActorTreeNode[]): string[] {
  const lines: string[] = [];
  const walk = (node: ActorTreeNode, prefix: string, last: boolean, depth: number) => {
    const branch = depth === 0 ? "" : last ? "└─ " : "├─ ";
    lines.push(`${prefix}${branch}${node.id}  ${formatStateValue(node.state)}`);
    const childPrefix = depth === 0 ? "" : `${prefix}${last ? "   " : "│  "}`;
    node.children.forEach((child, index) =>
      walk(child, childPrefix, index === node.children.length - 1, depth + 1),
    );
  };
  roots.forEach((root) => walk(root, "", true, 0));
  return lines;
}

export function renderTransition(change: InspectTransition): string {
  const time = new Date(change.ts).toTimeString().slice(0, 8);
  const via = change.event ? ` (${change.event})` : "";
  const state = formatStateValue(change.actor.state);
  const what =
    change.kind === "actor"
      ? "started"
      : change.kind === "stopped"
        ? `${state} [${change.actor.status}]`
        : state;
  return `${time} ${change.actor.id}  ${what}${via}`;
}
