import type { MachineGraph, StateGraph, TransitionGraph } from "../src/machines/machine-graph.js";
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
      ["channel", "connection", "gateway", "reload", "run", "supervisor"].sort(),
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
    // The supervisor runs its children side by side: one region per child, each with its own policy.
    expect(supervising.type).toBe("parallel");
    expect(supervising.states.map((state) => state.key)).toEqual(["gateway", "reload"]);
    const gatewayRegion = supervising.states.find((state) => state.key === "gateway")!;
    expect(gatewayRegion.initial).toBe("supervisor.supervising.gateway.running");
    expect(gatewayRegion.states.map((state) => state.key)).toEqual(["running", "restarting", "stopping"]);
    expect(gatewayRegion.invoke).toEqual([{ id: "gateway", src: "gateway" }]);
    expect(
      gatewayRegion.transitions
        .filter((t) => t.kind === "done")
        .map((t) => [t.invokeId, t.guard, t.targets[0]]),
    ).toEqual([
      ["gateway", "failedWhileStarting", "supervisor.ended"],
      ["gateway", "restartIntended", "supervisor.supervising"],
      ["gateway", "stopIntended && failedWhileRunning", "supervisor.ended"],
      ["gateway", "stopIntended", "supervisor.ended"],
      ["gateway", "failedWhileRunning", "supervisor.crashed"],
      ["gateway", undefined, "supervisor.ended"],
    ]);
    const reloadRegion = supervising.states.find((state) => state.key === "reload")!;
    expect(reloadRegion.states.find((state) => state.key === "running")!.invoke).toEqual([
      { id: "reload", src: "reload" },
    ]);
    // The shutdown budget is handed down with each stop: the deadline is computed, so it has no fixed value.
    const stopping = transitionsOf(supervisor, "supervisor.supervising.gateway.stopping");
    expect(stopping.find((t) => t.kind === "after")).toMatchObject({
      delay: { name: "deadline", ms: null },
      targets: ["supervisor.timedOut"],
    });
    expect(
      transitionsOf(supervisor, "supervisor.supervising.gateway.running").find((t) => t.kind === "after"),
    ).toMatchObject({ delay: { name: "crashStreakReset", ms: 600_000 } });
    expect(transitionsOf(supervisor, "supervisor.backoff").find((t) => t.kind === "after")).toMatchObject({
      delay: { name: "crashBackoff", ms: null },
      targets: ["supervisor.supervising"],
    });
    expect(supervisor.root.states.find((state) => state.key === "recovering")!.invoke).toEqual([
      { id: "cleanupGateway", src: "cleanupGateway" },
    ]);
    expect(
      supervisor.root.states.filter((state) => state.type === "final").map((state) => state.key),
    ).toEqual(["ended"]);

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
