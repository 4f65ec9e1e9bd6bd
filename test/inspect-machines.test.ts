import type { MachineGraph, StateGraph, TransitionGraph } from "../src/actors/machine-graph.js";
import { useGateway } from "./helpers/gateway-fixture.js";
import { localConfig } from "./helpers/gateway-process.js";

const ADMIN = { scopes: ["operator.admin"] };

function states(root: StateGraph): StateGraph[] {
  return [root, ...root.states.flatMap(states)];
}

function transitionsOf(graph: MachineGraph, stateId: string): TransitionGraph[] {
  const state = states(graph.root).find((candidate) => candidate.id === stateId);
  if (!state) throw new Error(`no state ${stateId} in ${graph.id}`);
  return state.transitions;
}

interface TreeNode {
  id: string;
  machine: string | null;
  children: TreeNode[];
}

describe("inspect.machines", () => {
  const fixture = useGateway(localConfig());

  async function machines(): Promise<MachineGraph[]> {
    const peer = await fixture.connected(ADMIN);
    const res = await peer.request("inspect.machines");
    expect(res.ok).toBe(true);
    return res.payload.machines as MachineGraph[];
  }

  it("serves every machine of the design by id", async () => {
    expect((await machines()).map((machine) => machine.id).sort()).toEqual(
      ["connection", "gateway", "reload", "run", "supervisor"].sort(),
    );
  });

  it("serves the connection machine's states, initial and final markers, and transitions with their events", async () => {
    const connection = (await machines()).find((machine) => machine.id === "connection")!;
    expect(connection.root.initial).toBe("connection.awaiting-connect");
    expect(connection.root.states.map((state) => [state.key, state.type])).toEqual([
      ["awaiting-connect", "atomic"],
      ["challenged", "atomic"],
      ["ready", "atomic"],
      ["closing", "atomic"],
      ["closed", "final"],
    ]);
    const edges = (stateId: string) =>
      transitionsOf(connection, stateId).map((t) => `${t.event} → ${t.targets.join(",")}`);
    expect(edges("connection.awaiting-connect")).toEqual([
      "CONNECT_RECEIVED → connection.challenged",
      "HANDSHAKE_REJECTED → connection.closing",
      "HANDSHAKE_TIMEOUT → connection.closing",
      "CLOSE → connection.closing",
    ]);
    expect(edges("connection.challenged")).toEqual([
      "AUTHENTICATED → connection.ready",
      "AUTH_FAILED → connection.closing",
      "HANDSHAKE_TIMEOUT → connection.closing",
      "CLOSE → connection.closing",
    ]);
    expect(edges("connection.ready")).toEqual([
      "CLOSE → connection.closing",
      "PEER_UNRESPONSIVE → connection.closed",
    ]);
    expect(edges("connection.closing")).toEqual(["CLOSE_GRACE_ELAPSED → connection.closed"]);
    // A transition on the machine itself: a socket that closes ends the connection from any state.
    expect(edges("connection")).toEqual(["SOCKET_CLOSED → connection.closed"]);
    expect(transitionsOf(connection, "connection.challenged")[1]!.actions).toEqual([
      "sendRejection",
      "closeSocket",
    ]);
  });

  it("serves nesting, named and composite guards, eventless and delayed transitions with their delays, and invoked actors", async () => {
    const served = await machines();
    const supervisor = served.find((machine) => machine.id === "supervisor")!;
    const supervising = supervisor.root.states.find((state) => state.key === "supervising")!;
    expect(supervising.type).toBe("compound");
    expect(supervising.initial).toBe("supervisor.supervising.running");
    expect(supervising.states.map((state) => state.key)).toEqual(["running", "restarting", "stopping"]);
    expect(supervising.invoke).toEqual([
      { id: "gateway", src: "gateway" },
      { id: "reload", src: "reload" },
    ]);
    expect(
      supervising.transitions
        .filter((t) => t.kind === "done")
        .map((t) => [t.invokeId, t.guard, t.targets[0]]),
    ).toEqual([
      ["gateway", "restartRequested", "supervisor.supervising"],
      ["gateway", "stopRequested", "supervisor.stopped"],
      ["gateway", "failedWhileStarting", "supervisor.failed"],
      ["gateway", "failedWhileRunning", "supervisor.backoff"],
      ["gateway", undefined, "supervisor.stopped"],
    ]);
    const stopping = transitionsOf(supervisor, "supervisor.supervising.stopping");
    expect(stopping.find((t) => t.kind === "after")).toMatchObject({
      delay: { name: "stopDeadline", ms: 5_000 },
      targets: ["supervisor.timedOut"],
    });
    // A delay computed from context has a name but no fixed value.
    expect(transitionsOf(supervisor, "supervisor.backoff").find((t) => t.kind === "after")).toMatchObject({
      delay: { name: "crashBackoff", ms: null },
      targets: ["supervisor.supervising"],
    });
    expect(
      supervisor.root.states.filter((state) => state.type === "final").map((state) => state.key),
    ).toEqual(["stopped", "failed", "timedOut"]);

    const reload = served.find((machine) => machine.id === "reload")!;
    expect(reload.root.invoke).toEqual([{ id: "watchConfig", src: "watchConfig" }]);
    expect(
      transitionsOf(reload, "reload.decided").map((t) => [t.kind, t.guard ?? null, t.targets[0]]),
    ).toEqual([
      ["always", "unchanged", "reload.settled"],
      ["always", "disabled", "reload.settled"],
      ["always", "restartOnAnyChange", "reload.restarting"],
      ["always", "needsRestart && hotModeOnly", "reload.settled"],
      ["always", "needsRestart", "reload.restarting"],
      ["always", null, "reload.applying"],
    ]);
    expect(transitionsOf(reload, "reload.debouncing")).toContainEqual(
      expect.objectContaining({ kind: "after", delay: { name: "debounce", ms: 300 } }),
    );

    const gateway = served.find((machine) => machine.id === "gateway")!;
    expect(transitionsOf(gateway, "gateway.closing").map((t) => [t.kind, t.guard ?? null])).toEqual([
      ["done", "(inline)"],
      ["done", null],
      ["error", "(inline)"],
      ["error", null],
    ]);
  });

  it("names, for every actor of the live tree that runs a machine, one the gateway serves", async () => {
    const served = new Set((await machines()).map((machine) => machine.id));
    const peer = await fixture.connected(ADMIN);
    const { actors } = (await peer.request("inspect.snapshot")).payload as { actors: TreeNode[] };
    const flat = (nodes: TreeNode[]): TreeNode[] => nodes.flatMap((node) => [node, ...flat(node.children)]);
    const withMachine = flat(actors).filter((node) => node.machine !== null);
    expect(withMachine.map((node) => node.machine)).toEqual(
      expect.arrayContaining(["supervisor", "gateway", "reload", "connection"]),
    );
    for (const node of withMachine) expect(served.has(node.machine!)).toBe(true);
  });

  it("is for admins only", async () => {
    const peer = await fixture.connected({ scopes: ["operator.read"] });
    const res = await peer.request("inspect.machines");
    expect(res.ok).toBe(false);
    expect(res.error).toMatchObject({ code: "INVALID_REQUEST", message: "missing scope: operator.admin" });
  });
});
