import type { ActorNode, ActorTreeNode, InspectTransition } from "../../src/protocol/actor-inspection.js";
import { ActorStore, type TreeFilter } from "../../ui/src/inspector/actor-store.js";
import { FrameBatcher } from "../../ui/src/inspector/frame-batcher.js";
import {
  LIVE,
  pause,
  select,
  stateAt,
  stepBack,
  stepForward,
  visibleEntries,
} from "../../ui/src/inspector/log-cursor.js";
import { activeStateIds, formatStateValue } from "../../ui/src/inspector/state-value.js";

const ALL: TreeFilter = { machine: null, state: null, hideClosed: false };

function node(
  id: string,
  sessionId: string,
  machine: string | null,
  state: unknown,
  children: ActorTreeNode[] = [],
): ActorTreeNode {
  return { id, sessionId, machine, state, status: "active", children };
}

/** The tree `inspect.snapshot` answers: supervisor → gateway → connections → one connection. */
const snapshot = (connections: ActorTreeNode[] = [node("connection:a", "x:3", "connection", "ready")]) => [
  node("supervisor", "x:0", "supervisor", { supervising: "running" }, [
    node("gateway", "x:1", "gateway", "ready", [node("connections", "x:2", null, null, connections)]),
  ]),
];

function change(
  kind: InspectTransition["kind"],
  actor: Partial<ActorNode> & { sessionId: string },
  event?: string,
): InspectTransition {
  return {
    kind,
    actor: {
      id: actor.sessionId,
      machine: "connection",
      parent: "x:2",
      state: null,
      status: "active",
      ...actor,
    },
    event,
    ts: 1_000,
  };
}

describe("the inspector's actor store", () => {
  it("lists the snapshot's tree in display order, with depth", () => {
    const store = new ActorStore();
    store.applySnapshot(snapshot(), 1);
    expect(
      store.rows(ALL, new Set()).map((row) => [row.record.id, row.depth, formatStateValue(row.record.state)]),
    ).toEqual([
      ["supervisor", 0, "supervising.running"],
      ["gateway", 1, "ready"],
      ["connections", 2, "-"],
      ["connection:a", 3, "ready"],
    ]);
  });

  it("adds a new actor under its parent and logs each transition as from → to with its event", () => {
    const store = new ActorStore();
    store.applySnapshot(snapshot([]), 1);
    store.applyTransitions([
      change("actor", { sessionId: "x:9", id: "connection:b" }),
      change(
        "transition",
        { sessionId: "x:9", id: "connection:b", state: "awaiting-connect" },
        "xstate.init",
      ),
      change("transition", { sessionId: "x:9", id: "connection:b", state: "challenged" }, "CONNECT_RECEIVED"),
      change("transition", { sessionId: "x:9", id: "connection:b", state: "ready" }, "AUTHENTICATED"),
    ]);
    const record = store.actors.get("x:9")!;
    expect(record.parent).toBe("x:2");
    expect(
      record.log.map(
        (entry) => `${entry.event}: ${formatStateValue(entry.from)} → ${formatStateValue(entry.to)}`,
      ),
    ).toEqual([
      "xstate.init: - → awaiting-connect",
      "CONNECT_RECEIVED: awaiting-connect → challenged",
      "AUTHENTICATED: challenged → ready",
    ]);
    expect(store.rows(ALL, new Set()).map((row) => row.record.id)).toContain("connection:b");
  });

  it("keeps an actor's transitions that arrive before the snapshot, under its parent's real name", () => {
    const store = new ActorStore();
    store.applyTransitions([change("actor", { sessionId: "x:9", id: "connection:b" })]);
    store.applySnapshot(snapshot(), 1);
    expect(store.actors.get("x:2")!.id).toBe("connections");
    expect(store.actors.get("x:2")!.children).toEqual(["x:9", "x:3"]);
  });

  it("marks an actor that ended (or vanished from a later snapshot) closed, and hides closed actors on request", () => {
    const store = new ActorStore();
    store.applySnapshot(snapshot(), 1);
    store.applyTransitions([
      change(
        "stopped",
        { sessionId: "x:3", id: "connection:a", state: "closed", status: "done" },
        "SOCKET_CLOSED",
      ),
    ]);
    expect(store.actors.get("x:3")!.status).toBe("done");
    const visible = (filter: TreeFilter) => store.rows(filter, new Set()).map((row) => row.record.id);
    expect(visible(ALL)).toContain("connection:a");
    expect(visible({ ...ALL, hideClosed: true })).not.toContain("connection:a");
    store.applySnapshot(
      snapshot([]).map((root) => ({ ...root, children: [] })),
      2,
    );
    expect(store.actors.get("x:1")!.status).toBe("stopped");
  });

  it("filters by machine and by state, keeping the ancestors of matches", () => {
    const store = new ActorStore();
    store.applySnapshot(
      snapshot([
        node("connection:a", "x:3", "connection", "ready"),
        node("connection:b", "x:4", "connection", "closing"),
      ]),
      1,
    );
    const ids = (filter: Partial<TreeFilter>) =>
      store.rows({ ...ALL, ...filter }, new Set()).map((row) => row.record.id);
    expect(ids({ machine: "connection", state: "closing" })).toEqual([
      "supervisor",
      "gateway",
      "connections",
      "connection:b",
    ]);
    expect(ids({ state: "supervising.running" })).toEqual(["supervisor"]);
    expect(ids({ machine: "run" })).toEqual([]);
  });

  it("leaves collapsed subtrees out of the rows", () => {
    const store = new ActorStore();
    store.applySnapshot(snapshot(), 1);
    const rows = store.rows(ALL, new Set(["x:1"]));
    expect(rows.map((row) => [row.record.id, row.expanded, row.hasChildren])).toEqual([
      ["supervisor", true, true],
      ["gateway", false, true],
    ]);
  });

  it("bounds each log and the number of ended actors it keeps", () => {
    const store = new ActorStore({ logPerActor: 3, closedKept: 2 });
    store.applySnapshot(snapshot([]), 1);
    const states = ["a", "b", "c", "d", "e"];
    store.applyTransitions(
      states.map((state) => change("transition", { sessionId: "x:9", state }, `TO_${state}`)),
    );
    expect(store.actors.get("x:9")!.log.map((entry) => [entry.seq, entry.to])).toEqual([
      [3, "c"],
      [4, "d"],
      [5, "e"],
    ]);
    for (const id of ["x:10", "x:11", "x:12"])
      store.applyTransitions([change("stopped", { sessionId: id, state: "closed", status: "done" })]);
    expect([...store.actors.keys()].filter((id) => ["x:10", "x:11", "x:12"].includes(id))).toEqual([
      "x:11",
      "x:12",
    ]);
    expect(store.actors.get("x:2")!.children).not.toContain("x:10");
  });
});

describe("the event log cursor", () => {
  const log = [
    { seq: 1, ts: 1, event: "xstate.init", from: null, to: "awaiting-connect", status: "active" },
    {
      seq: 2,
      ts: 2,
      event: "CONNECT_RECEIVED",
      from: "awaiting-connect",
      to: "challenged",
      status: "active",
    },
    { seq: 3, ts: 3, event: "AUTHENTICATED", from: "challenged", to: "ready", status: "active" },
  ];

  it("steps back from live to the newest entry, then to earlier ones, and shows each entry's resulting state", () => {
    let cursor = stepBack(log, LIVE);
    expect(cursor).toEqual({ paused: true, frozenSeq: 3, selectedSeq: 3 });
    expect(stateAt(log, cursor, "ready").state).toBe("ready");
    cursor = stepBack(log, cursor);
    expect(stateAt(log, cursor, "ready").state).toBe("challenged");
    cursor = stepBack(log, stepBack(log, cursor));
    expect(cursor.selectedSeq).toBe(1);
    expect(stateAt(log, cursor, "ready").state).toBe("awaiting-connect");
    cursor = stepForward(log, cursor);
    expect(stateAt(log, cursor, "ready").state).toBe("challenged");
    expect(stateAt(log, LIVE, "closing").state).toBe("closing");
  });

  it("stops the list growing while paused, and selecting an entry pauses", () => {
    const paused = pause(log.slice(0, 2), LIVE);
    expect(visibleEntries(log, paused).map((entry) => entry.seq)).toEqual([1, 2]);
    expect(visibleEntries(log, LIVE)).toHaveLength(3);
    expect(select(log, LIVE, 2)).toEqual({ paused: true, frozenSeq: 3, selectedSeq: 2 });
  });
});

describe("state values", () => {
  it("name every active state node, nested ones too", () => {
    expect([...activeStateIds("supervisor", { supervising: "running" })]).toEqual([
      "supervisor",
      "supervisor.supervising",
      "supervisor.supervising.running",
    ]);
    expect([...activeStateIds("connection", null)]).toEqual([]);
  });
});

describe("the frame batcher", () => {
  it("hands over everything pushed before a frame at once, and nothing after it stops", () => {
    const frames: (() => void)[] = [];
    const flushed: number[][] = [];
    const batcher = new FrameBatcher<number>(
      (items) => flushed.push(items),
      (callback) => frames.push(callback),
    );
    batcher.push(1);
    batcher.push(2);
    expect(frames).toHaveLength(1);
    frames.shift()!();
    batcher.push(3);
    batcher.stop();
    frames.shift()!();
    expect(flushed).toEqual([[1, 2]]);
  });
});
