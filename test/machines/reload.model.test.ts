/**
 * Model-based test of the reload machine: @xstate/graph enumerates the machine's transitions, driven by
 * file changes, reload requests, the debounce running out and every kind of plan (invalid, unchanged,
 * reload off, restart mode, hot mode refusing a restart, hybrid restart, hot, none-only, planning
 * failed) and apply outcome; one path per transition is replayed on a real actor whose watcher, planning
 * and applying are fakes, checking the reload controller's invariants on every step.
 */
import { adjacencyMapToArray, getAdjacencyMap, getShortestPaths, type StatePath } from "@xstate/graph";
import {
  SimulatedClock,
  createActor,
  type AnyMachineSnapshot,
  type AnyStateMachine,
  type EventObject,
} from "xstate";
import {
  reloadMachine,
  type ReloadAssessment,
  type ReloadContext,
  type ReloadEvent,
} from "../../src/machines/reload.machine.js";
import { ActionLog, CallbackFake, PromiseFake, flush, stopAllActors, track } from "./support.js";

afterEach(stopAllActors);

const DEBOUNCE_MS = 500;

function assessment(overrides: Partial<ReloadAssessment>): ReloadAssessment {
  const hot = overrides.hot ?? [];
  const restart = overrides.restart ?? [];
  const none = overrides.none ?? [];
  return {
    valid: true,
    issues: [],
    mode: "hybrid",
    changed: [...hot, ...restart, ...none],
    ...overrides,
    hot,
    restart,
    none,
  };
}

/** Every kind of plan the controller can come to, named for the test titles. */
const PLANS: Record<string, ReloadAssessment> = {
  invalid: assessment({ valid: false, issues: [{ path: "gateway.port", message: "must be a port" }] }),
  unchanged: assessment({}),
  "reload off": assessment({ mode: "off", hot: ["agents.list"] }),
  "restart mode": assessment({ mode: "restart", none: ["gateway.reload.debounceMs"] }),
  "hot mode, restart needed": assessment({ mode: "hot", hot: ["agents.list"], restart: ["gateway.port"] }),
  "hybrid, restart needed": assessment({ restart: ["gateway.port"] }),
  hot: assessment({ hot: ["agents.list"] }),
  "none-only": assessment({ none: ["gateway.reload.debounceMs"] }),
};
const PLAN_FAILED = "planning failed";
const APPLIED = "applied";
const APPLY_FAILED = "apply failed";
const DEBOUNCED = "xstate.after.debounce.reload.debouncing";

const planDone = (name: string) => ({ type: "xstate.done.actor.planReload", output: PLANS[name], name });
const EVENTS: Array<EventObject & Record<string, unknown>> = [
  { type: "FILE_CHANGED" },
  { type: "RELOAD_REQUESTED" },
  { type: DEBOUNCED },
  ...Object.keys(PLANS).map(planDone),
  { type: "xstate.error.actor.planReload", error: new Error("EACCES"), name: PLAN_FAILED },
  { type: "xstate.done.actor.applyHot", output: undefined, name: APPLIED },
  { type: "xstate.error.actor.applyHot", error: new Error("apply threw"), name: APPLY_FAILED },
];

const model = reloadMachine as unknown as AnyStateMachine;
const serializeState = (snapshot: AnyMachineSnapshot) => {
  const { changedAgain, assessment: planned } = snapshot.context as ReloadContext;
  const plan = planned ? Object.entries(PLANS).find(([, value]) => value === planned)?.[0] : null;
  return JSON.stringify([snapshot.value, changedAgain, plan ?? null]);
};
const traversal = {
  events: (snapshot: AnyMachineSnapshot) => EVENTS.filter((event) => snapshot.can(event)),
  serializeState,
};

/** One path per transition of the model: the shortest way to its source state, then the transition. */
function transitionPaths(): Array<StatePath<AnyMachineSnapshot, EventObject>> {
  const shortest = new Map(
    getShortestPaths(model, traversal).map((path) => [serializeState(path.state), path]),
  );
  return adjacencyMapToArray(getAdjacencyMap(model, traversal)).map(({ state, event, nextState }) => {
    const head = shortest.get(serializeState(state))!;
    return {
      state: nextState,
      steps: [...head.steps, { state: nextState, event }],
      weight: head.steps.length + 1,
    };
  });
}
const paths = transitionPaths();

const label = (event: EventObject) =>
  String((event as { name?: string }).name ?? event.type.replace(/^xstate\./, ""));
const describePath = (path: StatePath<AnyMachineSnapshot, EventObject>) =>
  path.steps
    .slice(1)
    .map((step) => `[${label(step.event)}]`)
    .join(" ");

function harness() {
  const clock = new SimulatedClock();
  const log = new ActionLog();
  const watcher = new CallbackFake<ReloadEvent, unknown>();
  const planReload = new PromiseFake<ReloadAssessment, unknown>();
  const applyHot = new PromiseFake<void, ReloadAssessment>();
  const machine = reloadMachine.provide({
    actors: { watchConfig: watcher.logic, planReload: planReload.logic, applyHot: applyHot.logic },
    actions: {
      reportInvalid: log.record("reportInvalid"),
      reportDisabled: log.record("reportDisabled"),
      reportRestartIgnored: log.record("reportRestartIgnored"),
      reportApplied: log.record("reportApplied"),
      reportFailed: log.record("reportFailed"),
      requestRestart: log.record("requestRestart"),
    },
    delays: { debounce: DEBOUNCE_MS },
  });
  const actor = track(createActor(machine, { clock }));
  actor.start();
  return { clock, log, watcher, planReload, applyHot, actor };
}

/** Produces the real cause of a model event: the watcher, the clock, or a settled plan or apply. */
async function stimulate(
  h: ReturnType<typeof harness>,
  event: EventObject & { output?: unknown; error?: unknown },
) {
  if (event.type === "FILE_CHANGED") h.watcher.sendBack({ type: "FILE_CHANGED" });
  else if (event.type === "RELOAD_REQUESTED") h.actor.send({ type: "RELOAD_REQUESTED" });
  else if (event.type === DEBOUNCED) h.clock.increment(DEBOUNCE_MS);
  else if (event.type === "xstate.done.actor.planReload")
    h.planReload.last.deferred.resolve(event.output as ReloadAssessment);
  else if (event.type === "xstate.error.actor.planReload") h.planReload.last.deferred.reject(event.error);
  else if (event.type === "xstate.done.actor.applyHot") h.applyHot.last.deferred.resolve();
  else if (event.type === "xstate.error.actor.applyHot") h.applyHot.last.deferred.reject(event.error);
  await flush();
}

const REPORTS = [
  "reportInvalid",
  "reportDisabled",
  "reportRestartIgnored",
  "reportApplied",
  "reportFailed",
  "requestRestart",
];

describe("reload machine model (@xstate/graph)", () => {
  it("reaches every state and every kind of plan", () => {
    const visited = new Set(paths.flatMap((p) => p.steps.map((s) => String(s.state.value))));
    expect([...visited].sort()).toEqual(["applying", "debouncing", "planning", "restarting", "watching"]);
    const planned = new Set(paths.flatMap((p) => p.steps.map((s) => label(s.event))));
    for (const name of [...Object.keys(PLANS), PLAN_FAILED, APPLIED, APPLY_FAILED])
      expect(planned).toContain(name);
  });

  describe.each(paths.map((path) => [describePath(path), path] as const))("path %s", (_name, path) => {
    it("replays on a real actor with the reload controller's invariants", async () => {
      const h = harness();
      for (let i = 1; i < path.steps.length; i++) {
        const { event, state: expected } = path.steps[i]!;
        const plansBefore = h.planReload.calls.length;
        const reportsBefore = h.log.calls.filter((call) => REPORTS.includes(call.type)).length;
        await stimulate(h, event);
        const where = `after step ${i} [${label(event)}]`;
        const value = String(h.actor.getSnapshot().value);
        expect({ where, value, changedAgain: h.actor.getSnapshot().context.changedAgain }).toEqual({
          where,
          value: String(expected.value),
          changedAgain: (expected.context as ReloadContext).changedAgain,
        });

        // The watcher runs for the controller's whole life, once.
        expect({ where, watchers: h.watcher.running }).toEqual({ where, watchers: 1 });
        // A restart is requested at most once, and the controller then only waits to be replaced.
        expect({ where, restarts: h.log.count("requestRestart") }).toEqual({
          where,
          restarts: value === "restarting" ? 1 : 0,
        });
        // An invalid file is reported and nothing of it is applied or restarted for.
        if (label(event) === "invalid") {
          expect({
            where,
            applies: h.applyHot.calls.length,
            restarts: h.log.count("requestRestart"),
          }).toEqual({
            where,
            applies: h.applyHot.calls.filter((call) => call.input.valid).length,
            restarts: 0,
          });
        }
        // Only a valid, changed plan that needs no restart (and reload not off) is applied.
        for (const { input } of h.applyHot.calls) {
          expect(input.valid && input.changed.length > 0 && input.mode !== "off").toBe(true);
          expect(input.restart).toEqual([]);
        }
        // Every finished plan or apply says what happened once (an unchanged file says nothing).
        const reports = h.log.calls.filter((call) => REPORTS.includes(call.type)).length - reportsBefore;
        const silent =
          label(event) === "unchanged" || !event.type.startsWith("xstate.") || event.type === DEBOUNCED;
        const startsApply = value === "applying" && event.type === "xstate.done.actor.planReload";
        expect({ where, reports }).toEqual({ where, reports: silent || startsApply ? 0 : 1 });
        // Planning starts only from the debounce or a request, one plan at a time.
        expect({ where, planning: h.planReload.calls.length - plansBefore }).toEqual({
          where,
          planning:
            value === "planning" && !String(path.steps[i - 1]!.state.value).startsWith("planning") ? 1 : 0,
        });
      }
    });
  });
});
