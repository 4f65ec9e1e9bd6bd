/**
 * Model-based test of the supervisor machine: @xstate/graph enumerates every simple path through the
 * machine, driven by what its children and the runtime can report (a gateway that stops, fails to start,
 * fails while running or throws; a reload controller that throws; the cleanup of a dead gateway; every
 * deadline and backoff running out; STOP, RESTART and CHILD_FAILED), and each path is replayed on a real
 * actor, checking the state reached and the invariants of an OTP-style supervisor on every step.
 * Restart limits are lowered to 1 so that "out of restarts" is reachable in a small graph; the real
 * limits are checked on their own.
 */
import {
  adjacencyMapToArray,
  getAdjacencyMap,
  getShortestPaths,
  toDirectedGraph,
  type DirectedGraphNode,
  type StatePath,
} from "@xstate/graph";
import {
  SimulatedClock,
  createActor,
  fromCallback,
  fromPromise,
  type AnyMachineSnapshot,
  type AnyStateMachine,
  type EventObject,
} from "xstate";
import type { ShutdownBudget } from "../../src/machines/gateway.machine.js";
import {
  ExitCodes,
  GATEWAY_POLICY,
  WORKERS,
  supervisorMachine,
  type SupervisorContext,
  type SupervisorOutput,
} from "../../src/machines/supervisor.machine.js";
import { ActionLog, flush, stopAllActors, track } from "./support.js";

afterEach(stopAllActors);

const STOP_BUDGET: ShutdownBudget = { deadlineMs: 5_000, drainMs: 3_000, closeWaitMs: 2_000 };
const RESTART_BUDGET: ShutdownBudget = { deadlineMs: 38_000, drainMs: 30_000, closeWaitMs: 2_000 };
const MODEL_MAX_RESTARTS = 1;

/** Every child is inert here: the model's events stand for what the children report. */
function modelMachine(gatewayEvents: EventObject[] = [], log = new ActionLog()) {
  return supervisorMachine.provide({
    actors: {
      gateway: fromCallback(({ receive }) => receive((event) => gatewayEvents.push(event))) as never,
      reload: fromCallback(() => {}) as never,
      cleanupGateway: fromPromise(() => new Promise<void>(() => {})),
    },
    actions: {
      announceRestart: log.record("announceRestart"),
      announceRequestIgnored: log.record("announceRequestIgnored"),
      announceChildFailed: log.record("announceChildFailed"),
      announceStopTimeout: log.record("announceStopTimeout"),
    },
    guards: { outOfRestarts: (_, { failures }) => failures > MODEL_MAX_RESTARTS },
  });
}

const done = (output: unknown) => ({ type: "xstate.done.actor.gateway", output });
const GATEWAY_STOPPED = done({ status: "stopped", failedWhile: null, error: null });
const GATEWAY_START_FAILED = done({ status: "failed", failedWhile: "starting", error: "EADDRINUSE" });
const GATEWAY_FAULTED = done({ status: "failed", failedWhile: "running", error: "listener failed" });
const GATEWAY_THREW = { type: "xstate.error.actor.gateway", error: new Error("bug in an action") };
const RELOAD_THREW = { type: "xstate.error.actor.reload", error: new Error("bug in reload") };
const CLEANED_UP = { type: "xstate.done.actor.cleanupGateway", output: undefined };
const CLEANUP_FAILED = { type: "xstate.error.actor.cleanupGateway", error: new Error("close failed") };

/** Every delayed transition of the definition (`xstate.after.<delay>.<state id>`). */
function delayedEventTypes(): string[] {
  const types = new Set<string>();
  const visit = (node: DirectedGraphNode) => {
    for (const edge of node.edges)
      if (edge.label.text.startsWith("xstate.after.")) types.add(edge.label.text);
    node.children.forEach(visit);
  };
  visit(toDirectedGraph(supervisorMachine));
  return [...types];
}
const DELAYED = delayedEventTypes();
const isDeadline = (type: string) => type.startsWith("xstate.after.deadline.");

const EVENTS: Array<EventObject & Record<string, unknown>> = [
  { type: "STOP", reason: "gateway stopping", cause: "received SIGTERM", budget: STOP_BUDGET },
  {
    type: "RESTART",
    cause: "config change (gateway.port)",
    budget: RESTART_BUDGET,
    restartExpectedMs: 1_500,
  },
  { type: "CHILD_FAILED", child: "gateway", error: "uncaught exception" },
  GATEWAY_STOPPED,
  GATEWAY_START_FAILED,
  GATEWAY_FAULTED,
  GATEWAY_THREW,
  RELOAD_THREW,
  CLEANED_UP,
  CLEANUP_FAILED,
  ...DELAYED.map((type) => ({ type })),
];

const model = modelMachine() as unknown as AnyStateMachine;
const traversal = {
  events: (snapshot: AnyMachineSnapshot) =>
    snapshot.status === "active" ? EVENTS.filter((event) => snapshot.can(event)) : [],
  input: { stopBudget: STOP_BUDGET },
  // Two snapshots are the same model state when they agree on what drives decisions (not on log text).
  serializeState: (snapshot: AnyMachineSnapshot) => {
    const { intent, crashes, workerFailures, exit } = snapshot.context as SupervisorContext;
    return JSON.stringify([snapshot.value, intent, crashes, workerFailures, exit?.code ?? null]);
  },
};
/**
 * One path per transition of the model (simple paths number in the tens of thousands once two parallel
 * regions and restart counters interleave): the shortest way to its source state, then the transition.
 */
function transitionPaths(): Array<StatePath<AnyMachineSnapshot, EventObject>> {
  const serialize = traversal.serializeState;
  const shortest = new Map(getShortestPaths(model, traversal).map((path) => [serialize(path.state), path]));
  return adjacencyMapToArray(getAdjacencyMap(model, traversal)).map(({ state, event, nextState }) => {
    const head = shortest.get(serialize(state))!;
    return {
      state: nextState,
      steps: [...head.steps, { state: nextState, event }],
      weight: head.steps.length + 1,
    };
  });
}
const paths = transitionPaths();

const stateKey = (value: unknown): string =>
  typeof value === "string"
    ? value
    : Object.entries(value as Record<string, unknown>)
        .map(([key, child]) => `${key}.${stateKey(child)}`)
        .join("|");

function label(event: EventObject): string {
  if (event === GATEWAY_STOPPED) return "gateway stopped";
  if (event === GATEWAY_START_FAILED) return "gateway failed to start";
  if (event === GATEWAY_FAULTED) return "gateway faulted";
  return event.type.replace(/^xstate\./, "").replace(/\.supervisor\./, " ");
}

function describePath(path: StatePath<AnyMachineSnapshot, EventObject>): string {
  return path.steps
    .slice(1)
    .map((step) => `[${label(step.event)}]`)
    .join(" ");
}

/**
 * The policy, restated as a running tally (the oracle of the exit-code invariant): a clean stop is 0;
 * a failed first start 1; a child failure the policy does not absorb (CHILD_FAILED, out of restarts, a
 * crash while stopping, a cleanup that failed) 70; an overrun deadline 75.
 */
function expectedExit(events: EventObject[]): number {
  let exit: number = ExitCodes.stopped;
  let intent = "run";
  let crashes = 0;
  let reloadFailures = 0;
  for (const event of events) {
    if (event.type === "STOP") intent = "stop";
    else if (event.type === "RESTART" && intent === "run") intent = "restart";
    else if (event.type === "CHILD_FAILED") [exit, intent] = [ExitCodes.childFailed, "stop"];
    else if (event === RELOAD_THREW && ++reloadFailures > MODEL_MAX_RESTARTS)
      [exit, intent] = [ExitCodes.childFailed, "stop"];
    else if (event === GATEWAY_THREW) crashes++;
    else if (event === CLEANED_UP && (intent === "stop" || crashes > MODEL_MAX_RESTARTS))
      exit = ExitCodes.childFailed;
    else if (event === CLEANUP_FAILED) exit = ExitCodes.childFailed;
    else if (event === GATEWAY_FAULTED && intent === "restart") [intent, crashes] = ["run", 0];
    else if (event === GATEWAY_FAULTED && (intent === "stop" || ++crashes > MODEL_MAX_RESTARTS))
      exit = ExitCodes.childFailed;
    else if (event === GATEWAY_START_FAILED) exit = ExitCodes.startFailed;
    else if (isDeadline(event.type)) exit = ExitCodes.timedOut;
    else if (event.type.startsWith("xstate.after.crashBackoff")) intent = "run";
    else if (event === GATEWAY_STOPPED && intent === "restart") [intent, crashes] = ["run", 0];
    else if (event.type.startsWith("xstate.after.crashStreakReset.supervisor.supervising.gateway"))
      crashes = 0;
    else if (event.type.startsWith("xstate.after.crashStreakReset.supervisor.supervising.reload"))
      reloadFailures = 0;
  }
  return exit;
}

describe("supervisor machine model (@xstate/graph)", () => {
  it("reaches every state node, and every path is short enough to read", () => {
    const visited = new Set(paths.flatMap((p) => p.steps.map((s) => stateKey(s.state.value))));
    for (const expected of [
      "supervising.gateway.running|reload.running",
      "supervising.gateway.restarting|reload.running",
      "supervising.gateway.stopping|reload.running",
      "supervising.gateway.running|reload.backoff",
      "supervising.gateway.stopping|reload.failed",
      "recovering",
      "backoff",
      "ended",
    ]) {
      expect(visited).toContain(expected);
    }
    expect(paths.length).toBeGreaterThan(50);
  });

  it("keeps the real restart limits: the gateway and the reload controller get 5 restarts each", () => {
    expect(GATEWAY_POLICY).toEqual({ kind: "restart", maxRestarts: 5 });
    expect(WORKERS.reload).toEqual({ kind: "restart", maxRestarts: 5 });
  });

  describe.each(paths.map((path) => [describePath(path), path] as const))("path %s", (_name, path) => {
    it("replays on a real actor with the supervisor's invariants", async () => {
      const clock = new SimulatedClock();
      // The delays the actor has scheduled and not cancelled.
      const scheduled = () => [
        ...(clock as unknown as { timeouts: Map<number, { timeout: number }> }).timeouts.values(),
      ];
      const gatewayEvents: EventObject[] = [];
      const log = new ActionLog();
      const actor = track(
        createActor(modelMachine(gatewayEvents, log), { clock, input: { stopBudget: STOP_BUDGET } }),
      );
      actor.start();
      const sent: EventObject[] = [];

      for (let i = 1; i < path.steps.length; i++) {
        const { event, state: expected } = path.steps[i]!;
        const before = actor.getSnapshot();
        const drainsBefore = gatewayEvents.length;
        actor.send(event as never);
        sent.push(event);
        await flush();
        const snapshot = actor.getSnapshot();
        const where = `after step ${i} [${label(event)}]`;
        expect({ where, state: stateKey(snapshot.value) }).toEqual({
          where,
          state: stateKey(expected.value),
        });

        // A gateway asked to stop or restart is asked once, with the budget of that request.
        const drains = gatewayEvents.slice(drainsBefore);
        const beforeGateway = (before.value as { supervising?: { gateway?: string } }).supervising?.gateway;
        const afterGateway = (snapshot.value as { supervising?: { gateway?: string } }).supervising?.gateway;
        const leftRunning =
          beforeGateway === "running" && (afterGateway === "stopping" || afterGateway === "restarting");
        expect({ where, drains: drains.length }).toEqual({ where, drains: leftRunning ? 1 : 0 });
        for (const drain of drains) {
          expect(drain).toMatchObject({
            type: "DRAIN",
            budget: event.type === "RESTART" ? RESTART_BUDGET : STOP_BUDGET,
          });
        }

        // A dead gateway is always cleaned up (clients get `shutdown`) before anything else happens.
        if (event === GATEWAY_THREW)
          expect({ where, state: snapshot.value }).toEqual({ where, state: "recovering" });

        // Whatever is stopping, restarting or cleaning up has a deadline running.
        const value = stateKey(snapshot.value);
        const underWay = /gateway\.(stopping|restarting)/.test(value) || value === "recovering";
        const deadlines = scheduled().filter((t) => t.timeout === snapshot.context.deadlineMs);
        expect({ where, deadline: deadlines.length > 0 }).toEqual({
          where,
          deadline: underWay || deadlines.length > 0,
        });
        if (underWay) expect({ where, deadline: deadlines.length }).toEqual({ where, deadline: 1 });

        // A reload controller failure that its policy absorbs leaves the gateway alone.
        if (event === RELOAD_THREW && value.includes("reload.backoff")) {
          expect(
            stateKey((snapshot.value as { supervising: { gateway: unknown } }).supervising.gateway),
          ).toBe(beforeGateway);
        }
      }

      const final = actor.getSnapshot();
      if (final.status === "done") {
        const output = final.output as SupervisorOutput;
        expect({ path: describePath(path), exitCode: output.exitCode }).toEqual({
          path: describePath(path),
          exitCode: expectedExit(sent),
        });
        // Nothing is left scheduled once the supervisor has ended.
        expect(scheduled()).toHaveLength(0);
      }
    });
  });
});
