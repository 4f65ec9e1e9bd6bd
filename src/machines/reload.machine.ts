import { and, assign, fromCallback, fromPromise, setup } from "xstate";

export type ReloadMode = "off" | "hot" | "restart" | "hybrid";

/** What planning found: the new file's validity, its changed paths by kind, and the mode to apply them in. */
export interface ReloadAssessment {
  valid: boolean;
  issues: Array<{ path: string; message: string }>;
  mode: ReloadMode;
  changed: string[];
  hot: string[];
  restart: string[];
  none: string[];
}

export type ReloadEvent = { type: "FILE_CHANGED" } | { type: "RELOAD_REQUESTED" };

export interface ReloadContext {
  /** The file changed again while a reload was being planned or applied. */
  changedAgain: boolean;
  assessment: ReloadAssessment | null;
}

const notProvided = new Error("reload machine: the runtime must provide this actor");
const assessment = ({ context }: { context: ReloadContext }) => context.assessment as ReloadAssessment;

/**
 * The config reload controller: watching → debouncing → planning → applying | restarting. An invalid
 * file never replaces the running config; a restart is requested once and the controller then waits
 * to be replaced together with the gateway, so applying a config cannot re-trigger itself.
 */
export const reloadMachine = setup({
  types: {
    context: {} as ReloadContext,
    events: {} as ReloadEvent,
  },
  actors: {
    watchConfig: fromCallback<ReloadEvent>(() => {}),
    planReload: fromPromise<ReloadAssessment>(() => Promise.reject(notProvided)),
    applyHot: fromPromise<void, ReloadAssessment>(() => Promise.reject(notProvided)),
  },
  actions: {
    reportInvalid: (_, _assessment: ReloadAssessment) => {},
    reportDisabled: (_, _assessment: ReloadAssessment) => {},
    reportRestartIgnored: (_, _assessment: ReloadAssessment) => {},
    reportApplied: (_, _assessment: ReloadAssessment) => {},
    reportFailed: (_, _params: { error: string }) => {},
    requestRestart: (_, _assessment: ReloadAssessment) => {},
  },
  guards: {
    invalid: ({ context }) => !assessment({ context }).valid,
    unchanged: ({ context }) => assessment({ context }).changed.length === 0,
    disabled: ({ context }) => assessment({ context }).mode === "off",
    restartOnAnyChange: ({ context }) => assessment({ context }).mode === "restart",
    needsRestart: ({ context }) => assessment({ context }).restart.length > 0,
    hotModeOnly: ({ context }) => assessment({ context }).mode === "hot",
    changedAgain: ({ context }) => context.changedAgain,
  },
  delays: {
    debounce: 300,
  },
}).createMachine({
  id: "reload",
  context: { changedAgain: false, assessment: null },
  invoke: { id: "watchConfig", src: "watchConfig" },
  initial: "watching",
  states: {
    watching: {
      on: { FILE_CHANGED: "debouncing", RELOAD_REQUESTED: "planning" },
    },
    debouncing: {
      after: { debounce: "planning" },
      on: { FILE_CHANGED: { target: "debouncing", reenter: true }, RELOAD_REQUESTED: "planning" },
    },
    planning: {
      entry: assign({ changedAgain: false }),
      invoke: {
        id: "planReload",
        src: "planReload",
        onDone: [
          {
            target: "settled",
            guard: ({ event }) => !event.output.valid,
            actions: [
              assign({ assessment: ({ event }) => event.output }),
              { type: "reportInvalid", params: ({ event }) => event.output },
            ],
          },
          {
            target: "decided",
            actions: assign({ assessment: ({ event }) => event.output }),
          },
        ],
        onError: {
          target: "settled",
          actions: { type: "reportFailed", params: ({ event }) => ({ error: String(event.error) }) },
        },
      },
      on: {
        FILE_CHANGED: { actions: assign({ changedAgain: true }) },
        RELOAD_REQUESTED: { actions: assign({ changedAgain: true }) },
      },
    },
    // REFERENCE §3.4, in order: nothing changed; off; restart mode; hot mode refusing a restart; hybrid.
    decided: {
      always: [
        { guard: "unchanged", target: "settled" },
        { guard: "disabled", target: "settled", actions: { type: "reportDisabled", params: assessment } },
        { guard: "restartOnAnyChange", target: "restarting" },
        {
          guard: and(["needsRestart", "hotModeOnly"]),
          target: "settled",
          actions: { type: "reportRestartIgnored", params: assessment },
        },
        { guard: "needsRestart", target: "restarting" },
        // Hot and none-only changes both become the running config; only hot ones make the runtime act.
        { target: "applying" },
      ],
    },
    applying: {
      invoke: {
        id: "applyHot",
        src: "applyHot",
        input: assessment,
        onDone: { target: "settled", actions: { type: "reportApplied", params: assessment } },
        onError: {
          target: "settled",
          actions: { type: "reportFailed", params: ({ event }) => ({ error: String(event.error) }) },
        },
      },
      on: {
        FILE_CHANGED: { actions: assign({ changedAgain: true }) },
        RELOAD_REQUESTED: { actions: assign({ changedAgain: true }) },
      },
    },
    settled: {
      always: [{ guard: "changedAgain", target: "debouncing" }, { target: "watching" }],
    },
    restarting: {
      entry: { type: "requestRestart", params: assessment },
    },
  },
});
