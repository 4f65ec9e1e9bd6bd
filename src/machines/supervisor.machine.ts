import { and, assign, fromPromise, raise, sendTo, setup } from "xstate";
import {
  gatewayMachine,
  type DrainRequest,
  type GatewayOutput,
  type ShutdownBudget,
} from "./gateway.machine.js";
import { reloadMachine } from "./reload.machine.js";

/** What the process exit code tells a service manager. */
export const ExitCodes = {
  /** Stopped as asked (signal, `gateway stop`), or handed over to the service manager for a restart. */
  stopped: 0,
  /** The gateway could not start (bind failed, invalid config). */
  startFailed: 1,
  /** A supervised child failed and its policy, or its restart intensity, stopped the gateway (EX_SOFTWARE). */
  childFailed: 70,
  /** A stop or restart overran its shutdown budget; cleanup did not finish (EX_TEMPFAIL). */
  timedOut: 75,
} as const;

export type SupervisorOutcome = "stopped" | "failed" | "child-failed" | "timed-out";

export interface SupervisorOutput {
  exitCode: number;
  outcome: SupervisorOutcome;
  error: string | null;
}

/**
 * A child's failure policy, as an OTP supervisor states it: `restart` starts it again after a backoff
 * (1 s doubling to 30 s) until it has failed `maxRestarts` times in a row, then stops the gateway;
 * `stop` stops the gateway at once. Either way the stop is orderly: `shutdown` reaches clients first.
 */
export type ChildPolicy = { kind: "restart"; maxRestarts: number } | { kind: "stop" };

/**
 * The workers supervised next to the gateway, each with its policy. A new child (a channel manager)
 * is one entry here plus its actor in `setup({ actors })`.
 */
export const WORKERS = {
  reload: { kind: "restart", maxRestarts: 5 },
} as const satisfies Record<string, ChildPolicy>;

export type WorkerId = keyof typeof WORKERS;

/** The gateway's own policy: a crash after it was ready restarts it; a failed first start ends the process. */
export const GATEWAY_POLICY = { kind: "restart", maxRestarts: 5 } as const satisfies ChildPolicy;

export type SupervisorEvent =
  | { type: "STOP"; reason: string; cause: string; budget: ShutdownBudget; restartExpectedMs?: number | null }
  | { type: "RESTART"; cause: string; budget: ShutdownBudget; restartExpectedMs: number }
  /** A failure the runtime caught outside any child (an uncaught exception): stop in order. */
  | { type: "CHILD_FAILED"; child: string; error: string };

export interface SupervisorInput {
  /** The budget of a stop the supervisor decides on itself (a child gave up). */
  stopBudget: ShutdownBudget;
}

export interface SupervisorContext {
  stopBudget: ShutdownBudget;
  /** What the current gateway is being asked to do: keep running, come back, or go for good. */
  intent: "run" | "restart" | "stop";
  /** The deadline of the stop or restart under way. */
  deadlineMs: number;
  /** Why the gateway is restarting or stopping, for the log. */
  cause: string | null;
  /** Consecutive crashes of the gateway; drives the restart backoff. */
  crashes: number;
  /** Consecutive failures of each worker. */
  workerFailures: Record<WorkerId, number>;
  error: string | null;
  /** Set once the process must end with something other than a clean stop. */
  exit: { code: number; outcome: SupervisorOutcome } | null;
}

export const backoffMs = (failures: number) => Math.min(1_000 * 2 ** Math.max(0, failures - 1), 30_000);
const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));
const CHILD_FAILED_EXIT = { code: ExitCodes.childFailed, outcome: "child-failed" as const };

const failedWhile =
  (phase: "starting" | "running") =>
  ({ event }: { event: unknown }) => {
    const output = (event as { output?: GatewayOutput }).output;
    return output?.status === "failed" && output.failedWhile === phase;
  };

const gatewayOutOfRestarts = {
  type: "outOfRestarts" as const,
  params: ({ context }: { context: SupervisorContext }) => ({
    child: "gateway" as const,
    failures: context.crashes,
  }),
};

const drain = (request: DrainRequest) => ({ type: "DRAIN" as const, ...request });

/** One parallel region per worker: running, and after a failure a backoff (or an orderly stop of everything). */
function workerRegion(id: WorkerId) {
  const failed = {
    actions: [
      assign({
        workerFailures: ({ context }: { context: SupervisorContext }) => ({
          ...context.workerFailures,
          [id]: context.workerFailures[id] + 1,
        }),
      }),
    ],
  };
  return {
    initial: "running",
    states: {
      running: {
        invoke: {
          id,
          src: id,
          onError: [
            {
              guard: {
                type: "outOfRestarts",
                params: ({ context }: { context: SupervisorContext }) => ({
                  child: id,
                  failures: context.workerFailures[id] + 1,
                }),
              },
              target: "failed",
              actions: [
                ...failed.actions,
                raise((({ event }: { event: { error: unknown } }) => ({
                  type: "CHILD_FAILED" as const,
                  child: id,
                  error: errorText(event.error),
                })) as never),
              ],
            },
            {
              target: "backoff",
              actions: [
                ...failed.actions,
                {
                  type: "announceChildFailed" as const,
                  params: ({
                    context,
                    event,
                  }: {
                    context: SupervisorContext;
                    event: { error: unknown };
                  }) => ({
                    child: id,
                    error: errorText(event.error),
                    restartInMs: backoffMs(context.workerFailures[id]),
                  }),
                },
              ],
            },
          ],
        },
        after: {
          crashStreakReset: {
            actions: assign({
              workerFailures: ({ context }: { context: SupervisorContext }) => ({
                ...context.workerFailures,
                [id]: 0,
              }),
            }),
          },
        },
      },
      backoff: {
        after: { [`${id}Backoff`]: "running" },
      },
      failed: {},
    },
  };
}

// Generated from WORKERS, so typed loosely: xstate checks the hand-written gateway region, not these.
const workerRegions: object = Object.fromEntries(
  Object.keys(WORKERS).map((id) => [id, workerRegion(id as WorkerId)]),
);

const workerBackoffs = Object.fromEntries(
  Object.keys(WORKERS).map((id) => [
    `${id}Backoff`,
    ({ context }: { context: SupervisorContext }) => backoffMs(context.workerFailures[id as WorkerId]),
  ]),
);

/**
 * The root actor: owns the lifetimes of the gateway and the workers next to it. Stop and restart both
 * drain the gateway first, each within its budget (`deadlineMs`); a crashed gateway is cleaned up
 * (`shutdown` to its clients, sockets closed) and started again with backoff; a failed first start, a
 * child out of restarts, or an overrun budget ends the process with the exit code that says so.
 */
export const supervisorMachine = setup({
  types: {
    context: {} as SupervisorContext,
    events: {} as SupervisorEvent,
    input: {} as SupervisorInput,
    output: {} as SupervisorOutput,
  },
  actors: {
    gateway: gatewayMachine,
    reload: reloadMachine,
    /** Closes what a gateway that died left open, `shutdown` to its clients first. */
    cleanupGateway: fromPromise<void, DrainRequest>(() => Promise.resolve()),
  },
  actions: {
    announceRestart: (_, _params: { cause: string; crashes: number; restartInMs: number }) => {},
    announceRequestIgnored: (_, _params: { cause: string }) => {},
    announceChildFailed: (_, _params: { child: string; error: string; restartInMs: number | null }) => {},
    announceStopTimeout: (_, _params: { cause: string | null; deadlineMs: number }) => {},
  },
  guards: {
    failedWhileStarting: failedWhile("starting"),
    failedWhileRunning: failedWhile("running"),
    restartIntended: ({ context }) => context.intent === "restart",
    stopIntended: ({ context }) => context.intent === "stop",
    /** The child's policy allows no further restart after this many consecutive failures. */
    outOfRestarts: (_, { child, failures }: { child: "gateway" | WorkerId; failures: number }) => {
      const policy = (child === "gateway" ? GATEWAY_POLICY : WORKERS[child]) as ChildPolicy;
      return policy.kind === "stop" || failures > policy.maxRestarts;
    },
  },
  delays: {
    deadline: ({ context }) => context.deadlineMs,
    crashBackoff: ({ context }) => backoffMs(context.crashes),
    /** A child that stayed up this long ends a crash streak: the next crash waits 1 s again. */
    crashStreakReset: 10 * 60_000,
    ...workerBackoffs,
  },
}).createMachine({
  id: "supervisor",
  context: ({ input }) => ({
    stopBudget: input.stopBudget,
    intent: "run",
    deadlineMs: input.stopBudget.deadlineMs,
    cause: null,
    crashes: 0,
    workerFailures: Object.fromEntries(Object.keys(WORKERS).map((id) => [id, 0])) as Record<WorkerId, number>,
    error: null,
    exit: null,
  }),
  initial: "supervising",
  states: {
    supervising: {
      // Each gateway instance gets fresh workers: the reload controller's baseline is the config it starts with.
      type: "parallel",
      entry: assign({ intent: "run" }),
      states: {
        gateway: {
          invoke: {
            id: "gateway",
            src: "gateway",
            onDone: [
              // A gateway that never came up ends the process, whatever was asked of it meanwhile.
              {
                guard: "failedWhileStarting",
                target: "#supervisor.ended",
                actions: assign({
                  error: ({ event }) => event.output.error,
                  exit: { code: ExitCodes.startFailed, outcome: "failed" },
                }),
              },
              {
                guard: "restartIntended",
                target: "#supervisor.supervising",
                reenter: true,
                actions: [
                  assign({ crashes: 0 }),
                  {
                    type: "announceRestart",
                    params: ({ context }) => ({
                      cause: context.cause ?? "restart",
                      crashes: 0,
                      restartInMs: 0,
                    }),
                  },
                ],
              },
              // It failed on its way out: it still closed (clients heard `shutdown`), but the stop was not clean.
              {
                guard: and(["stopIntended", "failedWhileRunning"]),
                target: "#supervisor.ended",
                actions: assign({ error: ({ event }) => event.output.error, exit: CHILD_FAILED_EXIT }),
              },
              { guard: "stopIntended", target: "#supervisor.ended" },
              {
                guard: "failedWhileRunning",
                target: "#supervisor.crashed",
                actions: assign({
                  crashes: ({ context }) => context.crashes + 1,
                  error: ({ event }) => event.output.error,
                }),
              },
              { target: "#supervisor.ended" },
            ],
            // The gateway actor itself failed (a bug in one of its actions): what it left open is closed for it.
            onError: {
              target: "#supervisor.recovering",
              actions: [
                assign({
                  crashes: ({ context }) => context.crashes + 1,
                  error: ({ event }) => errorText(event.error),
                }),
                {
                  type: "announceChildFailed",
                  params: ({ event }) => ({
                    child: "gateway",
                    error: errorText(event.error),
                    restartInMs: null,
                  }),
                },
              ],
            },
          },
          initial: "running",
          states: {
            running: {
              after: {
                crashStreakReset: {
                  guard: ({ context }) => context.crashes > 0,
                  actions: assign({ crashes: 0 }),
                },
              },
              on: {
                STOP: {
                  target: "stopping",
                  actions: [
                    assign({
                      intent: "stop",
                      cause: ({ event }) => event.cause,
                      deadlineMs: ({ event }) => event.budget.deadlineMs,
                    }),
                    sendTo("gateway", ({ event }) =>
                      drain({
                        reason: event.reason,
                        restartExpectedMs: event.restartExpectedMs ?? null,
                        budget: event.budget,
                      }),
                    ),
                  ],
                },
                RESTART: {
                  target: "restarting",
                  actions: [
                    assign({
                      intent: "restart",
                      cause: ({ event }) => event.cause,
                      deadlineMs: ({ event }) => event.budget.deadlineMs,
                    }),
                    sendTo("gateway", ({ event }) =>
                      drain({
                        reason: "gateway restarting",
                        restartExpectedMs: event.restartExpectedMs,
                        budget: event.budget,
                      }),
                    ),
                  ],
                },
                CHILD_FAILED: {
                  target: "stopping",
                  actions: [
                    assign({
                      intent: "stop",
                      cause: ({ event }) => `${event.child} failed`,
                      error: ({ event }) => `${event.child} failed: ${event.error}`,
                      exit: CHILD_FAILED_EXIT,
                      deadlineMs: ({ context }) => context.stopBudget.deadlineMs,
                    }),
                    {
                      type: "announceChildFailed",
                      params: ({ event }) => ({ child: event.child, error: event.error, restartInMs: null }),
                    },
                    sendTo("gateway", ({ context }) =>
                      drain({
                        reason: "gateway stopping",
                        restartExpectedMs: null,
                        budget: context.stopBudget,
                      }),
                    ),
                  ],
                },
              },
            },
            restarting: {
              after: { deadline: "#supervisor.timedOut" },
              on: {
                // A stop wins over the restart under way: the gateway is already draining.
                STOP: {
                  target: "stopping",
                  actions: assign({ intent: "stop", cause: ({ event }) => event.cause }),
                },
                RESTART: {
                  actions: {
                    type: "announceRequestIgnored",
                    params: ({ event }) => ({ cause: event.cause }),
                  },
                },
                CHILD_FAILED: {
                  target: "stopping",
                  actions: assign({
                    intent: "stop",
                    error: ({ event }) => `${event.child} failed: ${event.error}`,
                    exit: CHILD_FAILED_EXIT,
                  }),
                },
              },
            },
            stopping: {
              after: { deadline: "#supervisor.timedOut" },
              on: {
                STOP: {
                  actions: {
                    type: "announceRequestIgnored",
                    params: ({ event }) => ({ cause: event.cause }),
                  },
                },
                RESTART: {
                  actions: {
                    type: "announceRequestIgnored",
                    params: ({ event }) => ({ cause: event.cause }),
                  },
                },
                CHILD_FAILED: {
                  actions: assign({
                    error: ({ event }) => `${event.child} failed: ${event.error}`,
                    exit: CHILD_FAILED_EXIT,
                  }),
                },
              },
            },
          },
        },
        ...workerRegions,
      },
    },
    /** The gateway actor died: close its server (clients hear `shutdown` first), then back off or end. */
    recovering: {
      invoke: {
        src: "cleanupGateway",
        input: ({ context }) =>
          context.intent === "stop" || context.crashes > GATEWAY_POLICY.maxRestarts
            ? { reason: "gateway stopping", restartExpectedMs: null, budget: context.stopBudget }
            : {
                reason: "gateway restarting",
                restartExpectedMs: backoffMs(context.crashes),
                budget: context.stopBudget,
              },
        onDone: [
          { guard: "stopIntended", target: "ended", actions: assign({ exit: CHILD_FAILED_EXIT }) },
          { guard: gatewayOutOfRestarts, target: "ended", actions: assign({ exit: CHILD_FAILED_EXIT }) },
          { target: "backoff" },
        ],
        onError: { target: "ended", actions: assign({ exit: CHILD_FAILED_EXIT }) },
      },
      after: { deadline: "timedOut" },
      on: { STOP: { actions: assign({ intent: "stop" }) } },
    },
    /** The gateway closed itself after a fault: back off, or end when it is out of restarts. */
    crashed: {
      always: [
        { guard: gatewayOutOfRestarts, target: "ended", actions: assign({ exit: CHILD_FAILED_EXIT }) },
        { target: "backoff" },
      ],
    },
    backoff: {
      entry: {
        type: "announceRestart",
        params: ({ context }) => ({
          cause: `gateway failed: ${context.error ?? "unknown error"}`,
          crashes: context.crashes,
          restartInMs: backoffMs(context.crashes),
        }),
      },
      after: { crashBackoff: "supervising" },
      on: { STOP: "ended" },
    },
    timedOut: {
      entry: {
        type: "announceStopTimeout",
        params: ({ context }) => ({ cause: context.cause, deadlineMs: context.deadlineMs }),
      },
      always: {
        target: "ended",
        actions: assign({ exit: { code: ExitCodes.timedOut, outcome: "timed-out" } }),
      },
    },
    ended: {
      type: "final",
    },
  },
  output: ({ context }) => ({
    exitCode: context.exit?.code ?? ExitCodes.stopped,
    outcome: context.exit?.outcome ?? "stopped",
    error: context.error,
  }),
});
