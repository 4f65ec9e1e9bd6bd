import { SimulatedClock, createActor } from "xstate";
import {
  reloadMachine,
  type ReloadAssessment,
  type ReloadEvent,
  type ReloadMode,
} from "../../src/machines/reload.machine.js";
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

  describe("invalid and unchanged files", () => {
    it("reports an invalid file and returns to watching without applying or restarting anything", async () => {
      const r = startReload();
      const invalid = assessment({
        valid: false,
        issues: [{ path: "gateway.port", message: "Expected number, received string" }],
        mode: "hybrid",
        hot: ["cron"],
        restart: ["gateway.port"],
      });
      await reloadWith(r, invalid);

      expect(valueOf(r.actor)).toBe("watching");
      expect(r.log.calls).toEqual([{ type: "reportInvalid", params: invalid }]);
      expect(r.applyHot.calls).toHaveLength(0);
    });

    it.each<ReloadMode>(["off", "hot", "restart", "hybrid"])(
      "reports nothing and applies nothing when the file did not change (mode %s)",
      async (mode) => {
        const r = startReload();
        await reloadWith(r, assessment({ mode, changed: [] }));

        expect(valueOf(r.actor)).toBe("watching");
        expect(r.log.calls).toEqual([]);
        expect(r.applyHot.calls).toHaveLength(0);
      },
    );
  });

  describe("modes", () => {
    it("reports the change as disabled and applies nothing when the mode is off", async () => {
      const r = startReload();
      const off = assessment({ mode: "off", hot: ["cron"], restart: ["gateway.port"], none: ["logging"] });
      await reloadWith(r, off);

      expect(valueOf(r.actor)).toBe("watching");
      expect(r.log.calls).toEqual([{ type: "reportDisabled", params: off }]);
      expect(r.applyHot.calls).toHaveLength(0);
    });

    it("requests a restart in restart mode even when every change needs no action", async () => {
      const r = startReload();
      const restart = assessment({ mode: "restart", none: ["logging.level", "gateway.reload.debounceMs"] });
      await reloadWith(r, restart);

      expect(valueOf(r.actor)).toBe("restarting");
      expect(r.log.calls).toEqual([{ type: "requestRestart", params: restart }]);
      expect(r.applyHot.calls).toHaveLength(0);
    });

    it("ignores the whole batch, hot paths included, when hot mode meets a path that needs a restart", async () => {
      const r = startReload();
      const mixed = assessment({ mode: "hot", hot: ["cron", "hooks.token"], restart: ["gateway.port"] });
      await reloadWith(r, mixed);

      expect(valueOf(r.actor)).toBe("watching");
      expect(r.log.calls).toEqual([{ type: "reportRestartIgnored", params: mixed }]);
      expect(r.applyHot.calls).toHaveLength(0);
    });

    it("applies hot paths in hot mode and reports them applied only once applying has finished", async () => {
      const r = startReload();
      const hot = assessment({ mode: "hot", hot: ["cron"], none: ["logging.level"] });
      await reloadWith(r, hot);

      expect(valueOf(r.actor)).toBe("applying");
      expect(r.applyHot.inputs()).toEqual([hot]);
      expect(r.log.calls).toEqual([]);

      r.applyHot.last.deferred.resolve();
      await flush();
      expect(valueOf(r.actor)).toBe("watching");
      expect(r.log.calls).toEqual([{ type: "reportApplied", params: hot }]);
    });

    it("makes changes that need no action the running config in hot mode, then reports them applied", async () => {
      const r = startReload();
      const none = assessment({ mode: "hot", none: ["logging.level"] });
      await reloadWith(r, none);

      expect(valueOf(r.actor)).toBe("applying");
      expect(r.applyHot.inputs()).toEqual([none]);
      r.applyHot.last.deferred.resolve();
      await flush();
      expect(valueOf(r.actor)).toBe("watching");
      expect(r.log.calls).toEqual([{ type: "reportApplied", params: none }]);
    });

    it("requests a restart in hybrid mode when a path needs one, without applying the hot paths", async () => {
      const r = startReload();
      const mixed = assessment({ mode: "hybrid", hot: ["cron"], restart: ["plugins.enabled"] });
      await reloadWith(r, mixed);

      expect(valueOf(r.actor)).toBe("restarting");
      expect(r.log.calls).toEqual([{ type: "requestRestart", params: mixed }]);
      expect(r.applyHot.calls).toHaveLength(0);
    });

    it("applies hot paths in hybrid mode, then reports them applied", async () => {
      const r = startReload();
      const hot = assessment({ mode: "hybrid", hot: ["channels.telegram.token", "hooks"] });
      await reloadWith(r, hot);

      expect(valueOf(r.actor)).toBe("applying");
      expect(r.applyHot.inputs()).toEqual([hot]);
      expect(r.log.calls).toEqual([]);

      r.applyHot.last.deferred.resolve();
      await flush();
      expect(valueOf(r.actor)).toBe("watching");
      expect(r.log.calls).toEqual([{ type: "reportApplied", params: hot }]);
    });

    it("makes changes that need no action the running config in hybrid mode, then reports them applied", async () => {
      const r = startReload();
      const none = assessment({ mode: "hybrid", none: ["agents.defaults.model", "gateway.remote.url"] });
      await reloadWith(r, none);

      expect(r.applyHot.inputs()).toEqual([none]);
      r.applyHot.last.deferred.resolve();
      await flush();
      expect(valueOf(r.actor)).toBe("watching");
      expect(r.log.calls).toEqual([{ type: "reportApplied", params: none }]);
    });

    it("remembers a reload request that arrives while a reload is being planned", async () => {
      const r = startReload();
      changeAndDebounce(r);
      r.actor.send(RELOAD_REQUESTED);
      await plan(r, assessment({ changed: [] }));
      expect(valueOf(r.actor)).toBe("debouncing");
    });
  });

  describe("failures", () => {
    it("reports a planning failure and returns to watching, ready for the next change", async () => {
      const r = startReload();
      changeAndDebounce(r);
      r.planReload.last.deferred.reject(new Error("EACCES: permission denied"));
      await flush();

      expect(valueOf(r.actor)).toBe("watching");
      expect(r.log.calls).toEqual([
        { type: "reportFailed", params: { error: "Error: EACCES: permission denied" } },
      ]);
      expect(r.applyHot.calls).toHaveLength(0);

      const hot = assessment({ hot: ["cron"] });
      await reloadWith(r, hot);
      expect(r.planReload.calls).toHaveLength(2);
      expect(r.applyHot.inputs()).toEqual([hot]);
    });

    it("reports a hot-apply failure instead of reporting it applied, and returns to watching", async () => {
      const r = startReload();
      await reloadWith(r, assessment({ hot: ["browser"] }));
      r.applyHot.last.deferred.reject(new Error("browser control did not restart"));
      await flush();

      expect(valueOf(r.actor)).toBe("watching");
      expect(r.log.calls).toEqual([
        { type: "reportFailed", params: { error: "Error: browser control did not restart" } },
      ]);
    });
  });

  describe("changes during a reload", () => {
    it("debounces and plans again after planning when the file changed while it was being planned", async () => {
      const r = startReload();
      changeAndDebounce(r);
      r.watcher.sendBack(FILE_CHANGED);
      r.watcher.sendBack(FILE_CHANGED);
      expect(valueOf(r.actor)).toBe("planning");
      expect(r.planReload.calls).toHaveLength(1);

      const first = assessment({ none: ["logging.level"] });
      await plan(r, first);
      r.applyHot.last.deferred.resolve();
      await flush();
      expect(r.log.calls).toEqual([{ type: "reportApplied", params: first }]);
      expect(valueOf(r.actor)).toBe("debouncing");

      r.clock.increment(DEBOUNCE_MS - 1);
      expect(r.planReload.calls).toHaveLength(1);
      r.clock.increment(1);
      expect(valueOf(r.actor)).toBe("planning");
      expect(r.planReload.calls).toHaveLength(2);

      // The change has been re-planned: nothing more is pending.
      await plan(r, assessment({ changed: [] }));
      expect(valueOf(r.actor)).toBe("watching");
      r.clock.increment(DEBOUNCE_MS * 10);
      expect(r.planReload.calls).toHaveLength(2);
    });

    it("debounces and plans again after applying when the file changed while hot paths were applied", async () => {
      const r = startReload();
      const hot = assessment({ hot: ["cron"] });
      await reloadWith(r, hot);
      expect(valueOf(r.actor)).toBe("applying");
      r.watcher.sendBack(FILE_CHANGED);
      expect(valueOf(r.actor)).toBe("applying");

      r.applyHot.last.deferred.resolve();
      await flush();
      expect(r.log.calls).toEqual([{ type: "reportApplied", params: hot }]);
      expect(valueOf(r.actor)).toBe("debouncing");
      expect(r.planReload.calls).toHaveLength(1);

      r.clock.increment(DEBOUNCE_MS);
      expect(valueOf(r.actor)).toBe("planning");
      expect(r.planReload.calls).toHaveLength(2);
    });

    it("plans again after an invalid file when the file changed while it was being planned", async () => {
      const r = startReload();
      changeAndDebounce(r);
      r.watcher.sendBack(FILE_CHANGED);
      await plan(r, assessment({ valid: false, issues: [{ path: "", message: "Unexpected token" }] }));

      expect(r.log.types()).toEqual(["reportInvalid"]);
      expect(valueOf(r.actor)).toBe("debouncing");
      r.clock.increment(DEBOUNCE_MS);
      expect(r.planReload.calls).toHaveLength(2);
    });

    it("plans again after a failed hot apply when the file changed while it was being applied", async () => {
      const r = startReload();
      await reloadWith(r, assessment({ hot: ["cron"] }));
      r.watcher.sendBack(FILE_CHANGED);
      r.applyHot.last.deferred.reject(new Error("cron did not start"));
      await flush();

      expect(r.log.types()).toEqual(["reportFailed"]);
      expect(valueOf(r.actor)).toBe("debouncing");
      r.clock.increment(DEBOUNCE_MS);
      expect(r.planReload.calls).toHaveLength(2);
    });
  });

  describe("restarting", () => {
    it("requests a restart once and ignores further changes until replaced", async () => {
      const r = startReload();
      const restart = assessment({ restart: ["gateway.port"] });
      await reloadWith(r, restart);
      expect(valueOf(r.actor)).toBe("restarting");

      for (let i = 0; i < 3; i++) {
        r.watcher.sendBack(FILE_CHANGED);
        r.clock.increment(DEBOUNCE_MS * 2);
        r.actor.send(RELOAD_REQUESTED);
        await flush();
      }

      expect(valueOf(r.actor)).toBe("restarting");
      expect(r.planReload.calls).toHaveLength(1);
      expect(r.log.calls).toEqual([{ type: "requestRestart", params: restart }]);
      expect(r.applyHot.calls).toHaveLength(0);
    });

    it("does not plan again after requesting a restart, even when the file changed during planning", async () => {
      const r = startReload();
      changeAndDebounce(r);
      r.watcher.sendBack(FILE_CHANGED);
      const restart = assessment({ mode: "restart", hot: ["cron"] });
      await plan(r, restart);

      expect(valueOf(r.actor)).toBe("restarting");
      r.clock.increment(DEBOUNCE_MS * 10);
      expect(r.planReload.calls).toHaveLength(1);
      expect(r.log.calls).toEqual([{ type: "requestRestart", params: restart }]);
    });
  });
});
