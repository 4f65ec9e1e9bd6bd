import { and, assign, fromPromise, sendTo, setup } from "xstate";
import { gatewayMachine, type DrainRequest } from "./gateway.machine.js";
import { reloadMachine } from "./reload.machine.js";
import {
  backoffMs,
  CHILD_FAILED_EXIT,
  drain,
  errorText,
  ExitCodes,
  failedWhile,
  GATEWAY_POLICY,
  gatewayOutOfRestarts,
  WORKERS,
  workerBackoffs,
  workerRegions,
  type ChildPolicy,
  type SupervisorContext,
  type SupervisorEvent,
  type SupervisorInput,
  type SupervisorOutput,
  type WorkerId,
} from "./supervision-policy.js";

export {
  backoffMs,
  ExitCodes,
  GATEWAY_POLICY,
  WORKERS,
  type ChildPolicy,
  type SupervisorContext,
  type SupervisorEvent,
  type SupervisorInput,
  type SupervisorOutcome,
  type SupervisorOutput,
  type WorkerId,
} from "./supervision-policy.js";

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
        id: "cleanupGateway",
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
