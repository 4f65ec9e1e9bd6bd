import { createMachine } from "xstate";
import { guardName, machineGraph, type StateGraph } from "../../src/machines/machine-graph.js";
import { channelLikeMachine } from "./channel-like.machine.js";

const find = (state: StateGraph, key: string): StateGraph =>
  state.key === key ? state : state.states.map((child) => find(child, key)).find(Boolean)!;

describe("a machine definition as the inspector receives it", () => {
  const graph = machineGraph(channelLikeMachine);

  it("keeps parallel regions (no initial), history states and the regions' initial states", () => {
    expect(graph.root.type).toBe("parallel");
    expect(graph.root.initial).toBeUndefined();
    expect(graph.root.states.map((state) => [state.key, state.type, state.initial])).toEqual([
      ["link", "compound", "channel.link.offline"],
      ["inbox", "compound", "channel.inbox.idle"],
    ]);
    expect(find(graph.root, "resumed").type).toBe("history");
  });

  it("names composite guards, inline and named delays, and every target of a transition", () => {
    const offline = find(graph.root, "offline").transitions;
    expect(offline[0]).toMatchObject({
      event: "CONNECT",
      guard: "linked || !muted",
      targets: ["channel.link.online"],
    });
    expect(offline.find((t) => t.kind === "after")).toMatchObject({
      delay: { ms: 250 },
      targets: ["channel.link.online"],
    });
    expect(find(graph.root, "online").transitions.find((t) => t.kind === "after")).toMatchObject({
      delay: { name: "retry", ms: null },
      guard: "in(#channel.inbox.idle)",
    });
    expect(find(graph.root, "idle").transitions[0]).toMatchObject({
      guard: "linked && muted",
      targets: ["channel.inbox.busy", "channel.link.online"],
    });
    expect(find(graph.root, "busy").transitions[0]).toMatchObject({
      kind: "always",
      event: "",
      targets: ["channel.inbox.idle"],
    });
  });

  it("is plain data (what the wire carries) and survives a JSON round trip unchanged", () => {
    expect(JSON.parse(JSON.stringify(graph))).toEqual(graph);
  });

  it("names an anonymous guard (inline) and a machine without setup()", () => {
    const plain = machineGraph(
      createMachine({
        id: "plain",
        initial: "a",
        states: { a: { on: { GO: { target: "b", guard: () => true } } }, b: {} },
      }),
    );
    expect(plain.root.states[0]!.transitions[0]!.guard).toBe("(inline)");
    expect(guardName({ type: "named", params: {} })).toBe("named");
  });
});
