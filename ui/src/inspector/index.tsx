import type { JSX } from "preact";
import { useCallback } from "preact/hooks";
import type { GatewayPort } from "../gateway-port.js";
import { useGatewayEvent, useGatewayRead } from "../hooks.js";

interface ActorTreeNode {
  id: string;
  machine: string | null;
  state: unknown;
  status: string;
  children: ActorTreeNode[];
}

const stateText = (state: unknown) => (typeof state === "string" ? state : JSON.stringify(state));

function ActorList({ nodes }: { nodes: ActorTreeNode[] }) {
  return (
    <ul class="tree">
      {nodes.map((node) => (
        <li key={node.id}>
          <span class="mono">{node.id}</span>{" "}
          {node.state !== null && node.state !== undefined && (
            <span class="badge">{stateText(node.state)}</span>
          )}
          {node.status !== "active" && <span class="muted"> {node.status}</span>}
          {node.children.length > 0 && <ActorList nodes={node.children} />}
        </li>
      ))}
    </ul>
  );
}

/** The actor tree from `inspect.snapshot`, read again whenever an `inspect` event reports a change. */
export function InspectorView(props: { gateway: GatewayPort }): JSX.Element {
  const { gateway } = props;
  const read = useCallback(() => gateway.request<{ actors: ActorTreeNode[] }>("inspect.snapshot"), [gateway]);
  const snapshot = useGatewayRead(gateway, read);
  useGatewayEvent(gateway, "inspect", () => snapshot.reload());
  return (
    <section class="card" aria-labelledby="inspector-title">
      <h2 id="inspector-title">Actors</h2>
      {snapshot.error && <p class="alert">{snapshot.error}</p>}
      <ActorList nodes={snapshot.data?.actors ?? []} />
    </section>
  );
}
