/**
 * Model-based test of the connection machine: @xstate/graph enumerates every simple path through the
 * machine (driven by a representative set of events, including the runtime's authentication verdicts
 * and its deadlines running out), and each path is replayed against a real actor with fake
 * implementations, checking the state reached and the invariants on every step.
 */
import { getShortestPaths, getSimplePaths, toDirectedGraph } from "@xstate/graph";
import type { DirectedGraphNode, StatePath } from "@xstate/graph";
import type { AnyMachineSnapshot, AnyStateMachine, AnyStateNode, EventObject, StateValue } from "xstate";
import {
  HANDSHAKE_TIMEOUT_CLOSE,
  asRejection,
  connectionMachine,
  type ConnectionEvent,
  type HandshakeRejection,
} from "../../src/machines/connection.machine.js";
import { connectionHarness, flush, stopAllActors, type DeadlineKind } from "./support.js";

afterEach(stopAllActors);

const CONN_ID = "conn-1";
const root = connectionMachine.root;

/** Every state node below the root, compound and atomic, depth first. */
function descendants(node: AnyStateNode): AnyStateNode[] {
  return Object.values(node.states).flatMap((child) => [child, ...descendants(child)]);
}
const pathOf = (node: AnyStateNode) => node.path.join(".");
const STATE_NODES = descendants(root);
/** Every state node by its dotted path: `awaiting-connect`, `challenged`, …, `closed`. */
const NODE_PATHS = STATE_NODES.map(pathOf);
/** The atomic and final nodes: what a snapshot of this machine (no parallel states) is "in". */
const LEAF_PATHS = STATE_NODES.filter((n) => n.type === "atomic" || n.type === "final").map(pathOf);

/** The states the handshake deadline covers, from the challenge to hello-ok. */
const HANDSHAKE_STATES = ["awaiting-connect", "challenged"];
const AUTH_DONE = "AUTHENTICATED";
const AUTH_ERROR = "AUTH_FAILED";
/** The runtime's deadline events, and the deadline whose running out each one reports. */
const DEADLINE_OF: Record<string, DeadlineKind> = {
  HANDSHAKE_TIMEOUT: "handshake",
  CLOSE_GRACE_ELAPSED: "closeGrace",
};

const SESSION = { clientId: "cli", role: "operator" };
const AUTH_REJECTION: HandshakeRejection = {
  requestId: "req-1",
  error: { code: "UNAUTHORIZED", message: "invalid token" },
  code: 1008,
  reason: "unauthorized",
};
/** An authentication bug: not a HandshakeRejection, so the machine closes with 1011 "internal error". */
const AUTH_BUG = new TypeError("Cannot read properties of undefined (reading 'token')");

/**
 * The representative event set. Each state is offered only the events it can take (`snapshot.can`),
 * so every edge of the graph is a real transition.
 */
const EVENTS: Array<EventObject & Record<string, unknown>> = [
  { type: "CONNECT_RECEIVED", requestId: "req-1", params: { auth: { token: "secret" } } },
  {
    type: "HANDSHAKE_REJECTED",
    requestId: "req-0",
    error: { code: "INVALID_REQUEST", message: "first request must be connect" },
    code: 1008,
    reason: "invalid handshake",
  },
  { type: "CLOSE", code: 1001, reason: "gateway shutting down" },
  { type: "PEER_UNRESPONSIVE" },
  { type: "SOCKET_CLOSED", code: 1006 },
  { type: AUTH_DONE, requestId: "req-1", session: SESSION },
  { type: AUTH_ERROR, error: AUTH_REJECTION },
  { type: AUTH_ERROR, error: AUTH_BUG },
  ...Object.keys(DEADLINE_OF).map((type) => ({ type })),
];

const traversal = {
  events: (snapshot: AnyMachineSnapshot) => EVENTS.filter((event) => snapshot.can(event)),
  input: CONN_ID,
};
const model = connectionMachine as unknown as AnyStateMachine;
const paths: Array<StatePath<AnyMachineSnapshot, EventObject>> = getSimplePaths(model, traversal);

/** Dotted paths of every active state node of a state value, e.g. `challenged` (a compound node and its child: `a`, `a.b`). */
function activePaths(value: StateValue, prefix: string[] = []): string[] {
  if (typeof value === "string") return [[...prefix, value].join(".")];
  return Object.entries(value).flatMap(([key, child]) => [
    [...prefix, key].join("."),
    ...(child === undefined ? [] : activePaths(child, [...prefix, key])),
  ]);
}
/** The leaf a snapshot is in, as a dotted path: `challenged`, `ready`, … */
const stateKey = (snapshot: AnyMachineSnapshot) =>
  activePaths(snapshot.value)
    .filter((p) => LEAF_PATHS.includes(p))
    .join(",");
const edgeKey = (source: string, eventType: string, target: string) =>
  `${source} --${eventType}--> ${target}`;

function label(event: EventObject): string {
  if (event.type === AUTH_DONE) return "authenticate resolves";
  if (event.type === AUTH_ERROR) {
    const close = asRejection((event as unknown as { error: unknown }).error);
    return `authenticate rejects ${close.code}`;
  }
  const deadline = DEADLINE_OF[event.type];
  return deadline ? `${deadline} deadline runs out` : event.type;
}

function describePath(path: StatePath<AnyMachineSnapshot, EventObject>): string {
  const [first, ...rest] = path.steps;
  return [stateKey(first!.state), ...rest.map((s) => `[${label(s.event)}] ${stateKey(s.state)}`)].join(" → ");
}

/** The leaves a transition declared on `node` can be taken from (a compound node's transitions apply to all its leaves). */
function leavesUnder(node: AnyStateNode): string[] {
  if (node.type === "final") return [];
  if (node.type === "atomic") return [pathOf(node)];
  return Object.values(node.states).flatMap(leavesUnder);
}

/** The leaf a transition targeting `node` ends in (a compound node is entered through its initial states). */
function leafEntered(node: AnyStateNode): string {
  if (node.type !== "compound") return pathOf(node);
  return leafEntered(node.initial.target[0]!);
}

/** Every transition as declared in the definition: the node that declares it, its event, its target. */
function declaredTransitions(): Array<{ source: AnyStateNode; eventType: string; target: AnyStateNode }> {
  const transitions: Array<{ source: AnyStateNode; eventType: string; target: AnyStateNode }> = [];
  const visit = (node: DirectedGraphNode) => {
    for (const edge of node.edges) {
      transitions.push({ source: edge.source, eventType: edge.label.text, target: edge.target });
    }
    node.children.forEach(visit);
  };
  visit(toDirectedGraph(connectionMachine));
  return transitions;
}

/**
 * Every transition edge of the machine between the leaves a connection can be in: a transition declared
 * on a compound node (the root's SOCKET_CLOSED) is one edge from
 * each non-final leaf below it.
 */
function definedEdges(): Set<string> {
  const edges = new Set<string>();
  for (const { source, eventType, target } of declaredTransitions()) {
    for (const leaf of leavesUnder(source)) edges.add(edgeKey(leaf, eventType, leafEntered(target)));
  }
  return edges;
}

function coveredEdges(): Set<string> {
  const edges = new Set<string>();
  for (const path of paths) {
    for (let i = 1; i < path.steps.length; i++) {
      const from = path.steps[i - 1]!.state;
      const { event, state } = path.steps[i]!;
      edges.add(edgeKey(stateKey(from), event.type, stateKey(state)));
    }
  }
  return edges;
}

describe("connection machine model (@xstate/graph)", () => {
  it("covers every state node of the machine, compound and atomic", () => {
    expect([...NODE_PATHS].sort()).toEqual(["awaiting-connect", "challenged", "closed", "closing", "ready"]);
    expect([...LEAF_PATHS].sort()).toEqual(["awaiting-connect", "challenged", "closed", "closing", "ready"]);

    const visited = new Set(paths.flatMap((p) => p.steps.flatMap((s) => activePaths(s.state.value))));
    expect([...visited].sort()).toEqual([...NODE_PATHS].sort());

    const shortest = getShortestPaths(model, traversal);
    expect(new Set(shortest.map((p) => stateKey(p.state)))).toEqual(new Set(LEAF_PATHS));
  });

  it("covers every transition edge of the machine with at least one path, and no other", () => {
    // Sanity check of the definition reading: 12 declared transitions — SOCKET_CLOSED on the root;
    // connect, rejection, the deadline and CLOSE on awaiting-connect; the two verdicts of authenticate,
    // the deadline and CLOSE on challenged; CLOSE and PEER_UNRESPONSIVE on ready; the close grace on closing.
    const declared = declaredTransitions().map(
      (t) => `${pathOf(t.source) || "(root)"} --${t.eventType}--> ${pathOf(t.target)}`,
    );
    expect(declared.sort()).toEqual(
      [
        "(root) --SOCKET_CLOSED--> closed",
        "awaiting-connect --CONNECT_RECEIVED--> challenged",
        "awaiting-connect --HANDSHAKE_REJECTED--> closing",
        "awaiting-connect --HANDSHAKE_TIMEOUT--> closing",
        "awaiting-connect --CLOSE--> closing",
        `challenged --${AUTH_DONE}--> ready`,
        `challenged --${AUTH_ERROR}--> closing`,
        "challenged --HANDSHAKE_TIMEOUT--> closing",
        "challenged --CLOSE--> closing",
        "ready --CLOSE--> closing",
        "ready --PEER_UNRESPONSIVE--> closed",
        "closing --CLOSE_GRACE_ELAPSED--> closed",
      ].sort(),
    );

    const defined = definedEdges();
    const covered = coveredEdges();
    expect([...covered].sort()).toEqual([...defined].sort());
    // 5 from awaiting-connect (incl. the deadline, CLOSE and the root's SOCKET_CLOSED),
    // 5 from challenged, 3 from ready, 2 from closing.
    expect(defined.size).toBe(15);
  });

  describe.each(paths.map((path) => [describePath(path), path] as const))("path %s", (_name, path) => {
    it("replays on a real actor, reaching the same states and keeping the invariants", async () => {
      const h = connectionHarness(CONN_ID);
      h.actor.start();

      const check = (expected: AnyMachineSnapshot, where: string) => {
        const snapshot = h.actor.getSnapshot();
        const value = stateKey(snapshot);
        expect({ where, value, status: snapshot.status, context: snapshot.context }).toEqual({
          where,
          value: stateKey(expected),
          status: expected.status,
          context: expected.context,
        });
        // releaseConnection: at most once, and only once `closed` has been entered.
        expect({ where, released: h.log.of("releaseConnection") }).toEqual({
          where,
          released: value === "closed" ? [{ connId: CONN_ID }] : [],
        });
        // The keepalive runs in `ready` and nowhere else; the handshake deadline during the handshake
        // and the close grace in `closing`, and nowhere else.
        expect({ where, keepalives: h.keepalive.running }).toEqual({
          where,
          keepalives: value === "ready" ? 1 : 0,
        });
        expect({ where, deadlines: h.deadlines.runningNow() }).toEqual({
          where,
          deadlines: HANDSHAKE_STATES.includes(value)
            ? ["handshake"]
            : value === "closing"
              ? ["closeGrace"]
              : [],
        });
        checkNoHandshakeTimeoutAfterHelloOk(where);
      };

      const checkNoHandshakeTimeoutAfterHelloOk = (where: string) => {
        const types = h.log.types();
        const helloOk = types.indexOf("sendHelloOk");
        expect({ where, helloOks: h.log.count("sendHelloOk") <= 1 }).toEqual({ where, helloOks: true });
        if (helloOk < 0) return;
        const closesAfterHelloOk = h.log.calls
          .slice(helloOk + 1)
          .filter((c) => c.type === "closeSocket")
          .map((c) => (c.params as { close: unknown }).close);
        expect({ where, closesAfterHelloOk }).toEqual({
          where,
          closesAfterHelloOk: closesAfterHelloOk.filter((c) => !isHandshakeTimeoutClose(c)),
        });
      };

      check(path.steps[0]!.state, "initial");
      for (let i = 1; i < path.steps.length; i++) {
        const step = path.steps[i]!;
        if (step.event.type === "HANDSHAKE_TIMEOUT") {
          expect(h.log.count("sendHelloOk")).toBe(0);
        }
        await stimulate(h, step.event);
        check(step.state, `after step ${i} [${label(step.event)}]`);
      }
      expect(stateKey(h.actor.getSnapshot())).toBe(stateKey(path.state));

      // Let every deadline the connection still owns run out: a handshake deadline can no longer
      // run once hello-ok was sent, and releaseConnection can still have run at most once.
      for (const kind of h.deadlines.runningNow()) h.deadlines.expire(kind);
      await flush();
      checkNoHandshakeTimeoutAfterHelloOk("after all deadlines");
      expect(h.log.count("releaseConnection")).toBeLessThanOrEqual(1);
    });
  });
});

function isHandshakeTimeoutClose(close: unknown): boolean {
  const c = close as { code: number; reason: string };
  return c.code === HANDSHAKE_TIMEOUT_CLOSE.code && c.reason === HANDSHAKE_TIMEOUT_CLOSE.reason;
}

/** Produces the real-world cause of a model event: a message, a settled authentication or a deadline running out. */
async function stimulate(h: ReturnType<typeof connectionHarness>, event: EventObject): Promise<void> {
  const deadline = DEADLINE_OF[event.type];
  if (event.type === AUTH_DONE) {
    h.authenticate.last.deferred.resolve((event as unknown as { session: unknown }).session);
    await flush();
  } else if (event.type === AUTH_ERROR) {
    h.authenticate.last.deferred.reject((event as unknown as { error: unknown }).error);
    await flush();
  } else if (deadline !== undefined) {
    // Only a deadline the machine started, and has not stopped, can run out (expire throws otherwise).
    h.deadlines.expire(deadline);
  } else if (event.type === "PEER_UNRESPONSIVE" && h.keepalive.running > 0) {
    h.keepalive.sendBack(event as ConnectionEvent);
  } else {
    h.actor.send(event as ConnectionEvent);
  }
}
