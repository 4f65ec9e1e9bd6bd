import { SimulatedClock, createActor } from "xstate";
import { reloadMachine, type ReloadAssessment, type ReloadEvent } from "../../src/machines/reload.machine.js";
import { ActionLog, CallbackFake, PromiseFake, flush, stopAllActors, track, valueOf } from "./support.js";

afterEach(stopAllActors);

/** Deliberately not the machine's default (300 ms), so the tests show the provided delay is the one used. */
const DEBOUNCE_MS = 500;

const FILE_CHANGED = { type: "FILE_CHANGED" } as const;
const RELOAD_REQUESTED = { type: "RELOAD_REQUESTED" } as const;

/** A valid assessment; `changed` defaults to every classified path. */
function assessment(overrides: Partial<ReloadAssessment> = {}): ReloadAssessment {
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

/** The reload machine with a fake watcher, fake planning and applying, recorded reports and a simulated clock. */
function startReload() {
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

type Reload = ReturnType<typeof startReload>;

/** The watcher reports a change and the debounce runs out: the machine is planning. */
function changeAndDebounce(r: Reload) {
  r.watcher.sendBack(FILE_CHANGED);
  r.clock.increment(DEBOUNCE_MS);
  expect(valueOf(r.actor)).toBe("planning");
}

/** Settles the pending plan with this assessment. */
async function plan(r: Reload, result: ReloadAssessment) {
  r.planReload.last.deferred.resolve(result);
  await flush();
}

/** One change, debounced and planned with this assessment. */
async function reloadWith(r: Reload, result: ReloadAssessment) {
  changeAndDebounce(r);
  await plan(r, result);
}

// Transitions are covered by reload.model.test.ts; these pin the debounce timing.
describe("reload machine", () => {
  describe("watching and debouncing", () => {
    it("starts the watcher once and plans nothing until the file changes", () => {
      const r = startReload();

      expect(valueOf(r.actor)).toBe("watching");
      expect(r.watcher.starts).toHaveLength(1);
      expect(r.watcher.running).toBe(1);

      r.clock.increment(DEBOUNCE_MS * 100);
      expect(valueOf(r.actor)).toBe("watching");
      expect(r.planReload.calls).toHaveLength(0);
      expect(r.log.calls).toEqual([]);
    });

    it("plans only once the provided debounce delay has passed since the change", () => {
      const r = startReload();
      r.watcher.sendBack(FILE_CHANGED);
      expect(valueOf(r.actor)).toBe("debouncing");

      r.clock.increment(DEBOUNCE_MS - 1);
      expect(valueOf(r.actor)).toBe("debouncing");
      expect(r.planReload.calls).toHaveLength(0);

      r.clock.increment(1);
      expect(valueOf(r.actor)).toBe("planning");
      expect(r.planReload.calls).toHaveLength(1);
    });

    it("coalesces a burst of changes into one plan, timed from the last change", () => {
      const r = startReload();
      for (let i = 0; i < 5; i++) {
        if (i > 0) r.clock.increment(DEBOUNCE_MS - 100);
        r.watcher.sendBack(FILE_CHANGED);
      }
      // 4 × 400 ms have passed since the first change, well beyond one debounce window.
      expect(valueOf(r.actor)).toBe("debouncing");
      expect(r.planReload.calls).toHaveLength(0);

      r.clock.increment(DEBOUNCE_MS - 1);
      expect(r.planReload.calls).toHaveLength(0);

      r.clock.increment(1);
      expect(valueOf(r.actor)).toBe("planning");
      expect(r.planReload.calls).toHaveLength(1);

      r.clock.increment(DEBOUNCE_MS * 10);
      expect(r.planReload.calls).toHaveLength(1);
    });

    it("plans at once on RELOAD_REQUESTED while watching", () => {
      const r = startReload();
      r.actor.send(RELOAD_REQUESTED);

      expect(valueOf(r.actor)).toBe("planning");
      expect(r.planReload.calls).toHaveLength(1);
    });

    it("skips the rest of the debounce on RELOAD_REQUESTED, and the cancelled timer never fires", async () => {
      const r = startReload();
      r.watcher.sendBack(FILE_CHANGED);
      r.clock.increment(DEBOUNCE_MS / 2);
      r.actor.send(RELOAD_REQUESTED);

      expect(valueOf(r.actor)).toBe("planning");
      expect(r.planReload.calls).toHaveLength(1);

      await plan(r, assessment());
      expect(valueOf(r.actor)).toBe("watching");
      r.clock.increment(DEBOUNCE_MS * 10);
      expect(valueOf(r.actor)).toBe("watching");
      expect(r.planReload.calls).toHaveLength(1);
    });

    it("keeps one watcher across reloads and stops it when the machine stops", async () => {
      const r = startReload();
      await reloadWith(r, assessment({ none: ["logging.level"] }));
      r.applyHot.last.deferred.resolve();
      await flush();
      await reloadWith(r, assessment({ mode: "off", hot: ["cron"] }));
      r.actor.send(RELOAD_REQUESTED);
      await plan(r, assessment({ valid: false, issues: [{ path: "gateway.port", message: "bad" }] }));

      expect(r.planReload.calls).toHaveLength(3);
      expect(r.watcher.starts).toHaveLength(1);
      expect(r.watcher.stops).toBe(0);

      r.actor.stop();
      expect(r.watcher.stops).toBe(1);
      expect(r.watcher.running).toBe(0);
    });
  });
});
