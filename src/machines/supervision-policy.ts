import { assign, raise } from "xstate";
import type { DrainRequest, GatewayOutput, ShutdownBudget } from "./gateway.machine.js";

// The supervisor's vocabulary and policies: exit codes, child policies, the worker regions they generate.

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
 * is one entry here plus its actor in `setup({ actors })` of supervisor.machine.ts.
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
export const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));
export const CHILD_FAILED_EXIT = { code: ExitCodes.childFailed, outcome: "child-failed" as const };

export const failedWhile =
  (phase: "starting" | "running") =>
  ({ event }: { event: unknown }) => {
    const output = (event as { output?: GatewayOutput }).output;
    return output?.status === "failed" && output.failedWhile === phase;
  };

export const gatewayOutOfRestarts = {
  type: "outOfRestarts" as const,
  params: ({ context }: { context: SupervisorContext }) => ({
    child: "gateway" as const,
    failures: context.crashes,
  }),
};

export const drain = (request: DrainRequest) => ({ type: "DRAIN" as const, ...request });

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
export const workerRegions: object = Object.fromEntries(
  Object.keys(WORKERS).map((id) => [id, workerRegion(id as WorkerId)]),
);

export const workerBackoffs = Object.fromEntries(
  Object.keys(WORKERS).map((id) => [
    `${id}Backoff`,
    ({ context }: { context: SupervisorContext }) => backoffMs(context.workerFailures[id as WorkerId]),
  ]),
);
