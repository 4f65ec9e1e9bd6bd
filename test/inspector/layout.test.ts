import { inspectableMachineGraphs } from "../../src/machines/inspectable-machines.js";
import { machineGraph, type MachineGraph, type StateGraph } from "../../src/machines/machine-graph.js";
import { layoutMachine, type Box, type MachineLayout } from "../../ui/src/inspector/layout.js";
import { channelLikeMachine } from "./channel-like.machine.js";

// The gateway's machines, and one with parallel regions, history and multi-target transitions.
const graphs = [...inspectableMachineGraphs(), machineGraph(channelLikeMachine)];
const allStates = (state: StateGraph): StateGraph[] => [state, ...state.states.flatMap(allStates)];

function overlap(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}
function inside(inner: Box, outer: Box): boolean {
  return (
    inner.x >= outer.x - 0.01 &&
    inner.y >= outer.y - 0.01 &&
    inner.x + inner.width <= outer.x + outer.width + 0.01 &&
    inner.y + inner.height <= outer.y + outer.height + 0.01
  );
}
function onBorder(point: { x: number; y: number }, box: Box): boolean {
  const withinX = point.x >= box.x - 0.01 && point.x <= box.x + box.width + 0.01;
  const withinY = point.y >= box.y - 0.01 && point.y <= box.y + box.height + 0.01;
  const onX = Math.abs(point.x - box.x) < 0.01 || Math.abs(point.x - box.x - box.width) < 0.01;
  const onY = Math.abs(point.y - box.y) < 0.01 || Math.abs(point.y - box.y - box.height) < 0.01;
  return withinX && withinY && (onX || onY);
}

describe.each(graphs.map((graph) => [graph.id, graph] as [string, MachineGraph]))(
  "layout of the %s machine",
  (_id, graph) => {
    const layout: MachineLayout = layoutMachine(graph);
    const box = (id: string) => layout.states.find((state) => state.id === id)!;

    it("draws every state once and every transition once, as an edge or as text in its state", () => {
      expect(layout.states.map((state) => state.id).sort()).toEqual(
        allStates(graph.root)
          .map((state) => state.id)
          .sort(),
      );
      const transitions = allStates(graph.root).reduce(
        (sum, state) => sum + state.transitions.reduce((n, t) => n + Math.max(1, t.targets.length), 0),
        0,
      );
      const drawn =
        layout.edges.length + layout.states.reduce((sum, state) => sum + state.internal.length, 0);
      expect(drawn).toBe(transitions);
      for (const edge of layout.edges) {
        expect(edge.source).not.toBe(edge.target);
        expect(onBorder(edge.points[0]!, box(edge.source))).toBe(true);
        expect(onBorder(edge.points[edge.points.length - 1]!, box(edge.target))).toBe(true);
        expect(edge.path).toMatch(/^M[\d.-]+,[\d.-]+( C[\d.,\s-]+)+$/);
      }
    });

    it("nests every state inside its parent's area, below its title, and overlaps no sibling", () => {
      for (const state of layout.states) {
        if (state.parent === null) continue;
        const parent = box(state.parent);
        expect(
          inside(state, {
            ...parent,
            y: parent.y + parent.headerHeight,
            height: parent.height - parent.headerHeight,
          }),
        ).toBe(true);
        for (const sibling of layout.states) {
          if (sibling !== state && sibling.parent === state.parent)
            expect(overlap(state, sibling)).toBe(false);
        }
      }
    });

    it("puts every edge label inside the state it belongs to, clear of states and other labels", () => {
      for (const edge of layout.edges) {
        const level = box(edge.level);
        expect(inside(edge.labelBox, level)).toBe(true);
        for (const state of layout.states) {
          if (state.id !== edge.level && state.id.startsWith(`${edge.level}.`))
            expect(overlap(edge.labelBox, state)).toBe(false);
        }
        for (const other of layout.edges)
          if (other !== edge) expect(overlap(edge.labelBox, other.labelBox)).toBe(false);
      }
    });

    it("is deterministic", () => {
      expect(layoutMachine(structuredClone(graph))).toEqual(layout);
    });
  },
);

describe("layout of the connection machine", () => {
  const layout = layoutMachine(graphs.find((graph) => graph.id === "connection")!);
  it("reads top to bottom in the order a connection lives: awaiting-connect, challenged, ready, closing, closed", () => {
    const top = (key: string) => layout.states.find((state) => state.key === key)!.y;
    const keys = ["awaiting-connect", "challenged", "ready", "closing", "closed"];
    const tops = keys.map(top);
    expect([...tops].sort((a, b) => a - b)).toEqual(tops);
    expect(layout.states.find((state) => state.key === "awaiting-connect")!.initial).toBe(true);
    expect(layout.states[0]!.internal).toEqual(["SOCKET_CLOSED → closed"]);
  });
  it("labels edges with event, guard and delay", () => {
    const labels = layoutMachine(graphs.find((graph) => graph.id === "supervisor")!).edges.map(
      (edge) => edge.label,
    );
    expect(labels).toContain("done: gateway [failedWhileRunning]");
    expect(labels).toContain("after crashBackoff");
    const channelLabels = layoutMachine(graphs.find((graph) => graph.id === "channel")!).edges.map(
      (edge) => edge.label,
    );
    expect(channelLabels).toContain("after stopTimeout (5s) [restartAfterStop]");
  });
});
