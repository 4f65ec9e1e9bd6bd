/**
 * Model-based test of the channel account machine: @xstate/graph enumerates every simple path through
 * the machine (operator events, the runtime's start/stop outcomes and every delay running out), and
 * each path is replayed on a real actor with fake start/stop/watch actors and a simulated clock,
 * checking the invariant the channel manager promises: an enabled, configured account that nobody
 * stopped is always running or on its way back.
 */
import { getSimplePaths, toDirectedGraph } from "@xstate/graph";
import type { DirectedGraphNode } from "@xstate/graph";
import { getNextSnapshot, type AnyMachineSnapshot, type AnyStateMachine, type EventObject } from "xstate";
import { channelAccountMachine, RESTART_MAX_MS } from "../../src/machines/channel.machine.js";
import { channelHarness, flush, stopAllActors } from "./support.js";

afterEach(stopAllActors);

const DONE_START = "xstate.done.actor.startAccount";
const ERROR_START = "xstate.error.actor.startAccount";
const DONE_STOP = "xstate.done.actor.stopAccount";
const ERROR_STOP = "xstate.error.actor.stopAccount";
const AFTER_BACKOFF = "xstate.after.restartBackoff.channel.reconnecting";
const AFTER_STOP_TIMEOUT = "xstate.after.stopTimeout.channel.stopping";
const AFTER_STABLE = "xstate.after.stableAfter.channel.running";

const EVENTS: EventObject[] = [
  { type: "START" },
  { type: "STOP" },
  { type: "RESTART", reason: "health-monitor" } as EventObject,
  { type: "CONNECTION_LOST", error: "socket closed" } as EventObject,
  { type: DONE_START },
  { type: ERROR_START, error: new Error("ECONNREFUSED") } as EventObject,
  { type: DONE_STOP },
  { type: ERROR_STOP, error: new Error("stop failed") } as EventObject,
  { type: AFTER_BACKOFF },
  { type: AFTER_STOP_TIMEOUT },
  { type: AFTER_STABLE },
];

const model = channelAccountMachine as unknown as AnyStateMachine;
const enabledEvents = (snapshot: AnyMachineSnapshot) => EVENTS.filter((event) => snapshot.can(event));
const simplePaths = getSimplePaths(model, {
  input: { channel: "irc", accountId: "default", readiness: "enabled", random: () => 0.5 },
  events: enabledEvents,
  serializeState: (snapshot: AnyMachineSnapshot) =>
    `${JSON.stringify(snapshot.value)}|${(snapshot.context as { afterStop: string }).afterStop}`,
});
/** Each simple path, extended by every event its last state takes: the edges that close cycles too. */
const paths = simplePaths.flatMap((path) => {
  const last = path.steps[path.steps.length - 1]!.state;
  return enabledEvents(last).map((event) => ({
    steps: [...path.steps, { event, state: getNextSnapshot(model, last, event) }],
  }));
});

const stateOf = (snapshot: AnyMachineSnapshot) => String(snapshot.value);

function definedEdges(): Set<string> {
  const edges = new Set<string>();
  const visit = (node: DirectedGraphNode) => {
    for (const edge of node.edges)
      edges.add(`${edge.source.path.join(".")} --${edge.label.text}--> ${edge.target.path.join(".")}`);
    node.children.forEach(visit);
  };
  visit(toDirectedGraph(channelAccountMachine));
  return edges;
}

describe("channel account machine model (@xstate/graph)", () => {
  it("covers every declared transition with at least one path", () => {
    const covered = new Set<string>();
    for (const path of paths) {
      for (let i = 1; i < path.steps.length; i++) {
        const from = stateOf(path.steps[i - 1]!.state);
        covered.add(`${from} --${path.steps[i]!.event.type}--> ${stateOf(path.steps[i]!.state)}`);
      }
    }
    expect([...covered].sort()).toEqual([...definedEdges()].sort());
  });

  describe.each(
    paths.map(
      (path) =>
        [path.steps.map((step) => `${step.event.type}→${stateOf(step.state)}`).join(" "), path] as const,
    ),
  )("path %s", (_name, path) => {
    it("replays on a real actor and the account is never left dead unless stopped", async () => {
      const h = channelHarness("enabled", () => 0.5);
      let stoppedByOperator = false;
      let abandons = 0;
      for (const [index, step] of path.steps.entries()) {
        const event = step.event;
        if (index > 0) {
          const context = h.actor.getSnapshot().context;
          switch (event.type) {
            case "START":
            case "RESTART":
            case "STOP":
              h.actor.send(event as never);
              if (event.type === "STOP") stoppedByOperator = true;
              if (event.type !== "STOP" && stateOf(h.actor.getSnapshot()) === "starting")
                stoppedByOperator = false;
              break;
            case "CONNECTION_LOST":
              h.watchConnection.sendBack(event as never);
              abandons += 1;
              break;
            case DONE_START:
              h.startAccount.last.deferred.resolve();
              break;
            case ERROR_START:
              h.startAccount.last.deferred.reject(new Error("ECONNREFUSED"));
              abandons += 1;
              break;
            case DONE_STOP:
              h.stopAccount.last.deferred.resolve();
              break;
            case ERROR_STOP:
              h.stopAccount.last.deferred.reject(new Error("stop failed"));
              abandons += 1;
              break;
            case AFTER_BACKOFF:
              h.clock.increment(context.restartDelayMs);
              break;
            case AFTER_STOP_TIMEOUT:
              h.clock.increment(5_000);
              abandons += 1;
              break;
            case AFTER_STABLE:
              h.clock.increment(60_000);
              break;
            default:
              throw new Error(`unmodelled event ${event.type}`);
          }
          await flush();
        }
        const snapshot = h.actor.getSnapshot();
        const state = stateOf(snapshot);
        expect(state).toBe(stateOf(step.state));
        if (state === "starting") stoppedByOperator = false;
        // Never dead: stopped only after an operator's STOP; disabled/unconfigured are config states.
        expect(["disabled", "unconfigured"]).not.toContain(state);
        if (state === "stopped") expect(stoppedByOperator).toBe(true);
        // The connection is watched exactly while running.
        expect(h.watchConnection.running).toBe(state === "running" ? 1 : 0);
        // The next attempt is always scheduled within the cap.
        if (state === "reconnecting") {
          expect(snapshot.context.restartDelayMs).toBeGreaterThanOrEqual(4_500);
          expect(snapshot.context.restartDelayMs).toBeLessThanOrEqual(RESTART_MAX_MS * 1.1);
        }
        // Every failed or wedged transport is dropped, never reused.
        expect(h.log.count("abandonTransport")).toBe(abandons);
      }
    });
  });
});
