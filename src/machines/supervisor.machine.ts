import { assign, sendTo, setup, stateIn } from "xstate";
import { gatewayMachine, type DrainRequest, type GatewayOutput } from "./gateway.machine.js";
import { reloadMachine } from "./reload.machine.js";

export type SupervisorEvent =
  | { type: "STOP"; reason: string; signal?: string; restartExpectedMs?: number | null }
  | ({ type: "RESTART" } & DrainRequest);

export interface SupervisorContext {
  /** Consecutive crashes of a gateway that had been running; drives the restart backoff. */
  crashes: number;
  error: string | null;
}

export interface SupervisorOutput {
  exitCode: number;
  outcome: "stopped" | "failed" | "timed-out";
  error: string | null;
}

const failedWhile =
  (phase: "starting" | "running") =>
  ({ event }: { event: unknown }) => {
    const output = (event as { output?: GatewayOutput }).output;
    return output?.status === "failed" && output.failedWhile === phase;
  };

/**
 * The root actor: owns the gateway's lifetime. Stop and restart both drain the gateway first;
 * a gateway that crashes after it was ready is started again with backoff (1 s, doubling to 30 s, back to
 * 1 s once a gateway has stayed up 10 minutes), a failed start ends the process.
 */
export const supervisorMachine = setup({
  types: {
    context: {} as SupervisorContext,
    events: {} as SupervisorEvent,
    output: {} as SupervisorOutput,
  },
  actors: {
    gateway: gatewayMachine,
    reload: reloadMachine,
  },
  actions: {
    announceSignalIgnored: (_, _params: { signal?: string }) => {},
    announceRestart: (_, _params: { crashes: number }) => {},
    announceStopTimeout: () => {},
  },
  guards: {
    restartRequested: stateIn("#supervisor.supervising.restarting"),
    stopRequested: stateIn("#supervisor.supervising.stopping"),
    failedWhileStarting: failedWhile("starting"),
    failedWhileRunning: failedWhile("running"),
  },
  delays: {
    stopDeadline: 5_000,
    crashBackoff: ({ context }) => Math.min(1_000 * 2 ** Math.max(0, context.crashes - 1), 30_000),
    /** A gateway that stayed up this long ends a crash streak: the next crash waits 1 s again. */
    crashStreakReset: 10 * 60_000,
  },
}).createMachine({
  id: "supervisor",
  context: { crashes: 0, error: null },
  initial: "supervising",
  states: {
    supervising: {
      // Each gateway instance gets its own reload controller, whose baseline is the config it started with.
      invoke: [
        {
          id: "gateway",
          src: "gateway",
          onDone: [
            {
              guard: "restartRequested",
              target: "supervising",
              reenter: true,
              actions: [assign({ crashes: 0 }), { type: "announceRestart", params: () => ({ crashes: 0 }) }],
            },
            { guard: "stopRequested", target: "stopped" },
            {
              guard: "failedWhileStarting",
              target: "failed",
              actions: assign({ error: ({ event }) => event.output.error }),
            },
            {
              guard: "failedWhileRunning",
              target: "backoff",
              actions: assign({
                crashes: ({ context }) => context.crashes + 1,
                error: ({ event }) => event.output.error,
              }),
            },
            { target: "stopped" },
          ],
          onError: {
            target: "failed",
            actions: assign({ error: ({ event }) => String(event.error) }),
          },
        },
        { id: "reload", src: "reload" },
      ],
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
              actions: sendTo("gateway", ({ event }) => ({
                type: "DRAIN" as const,
                reason: event.reason,
                restartExpectedMs: event.restartExpectedMs ?? null,
              })),
            },
            RESTART: {
              target: "restarting",
              actions: sendTo("gateway", ({ event }) => ({
                type: "DRAIN" as const,
                reason: event.reason,
                restartExpectedMs: event.restartExpectedMs,
              })),
            },
          },
        },
        restarting: {
          on: {
            STOP: "stopping",
            RESTART: { actions: { type: "announceSignalIgnored", params: () => ({ signal: "SIGUSR1" }) } },
          },
        },
        stopping: {
          after: { stopDeadline: { target: "#supervisor.timedOut", actions: "announceStopTimeout" } },
          on: {
            STOP: {
              actions: { type: "announceSignalIgnored", params: ({ event }) => ({ signal: event.signal }) },
            },
            RESTART: { actions: { type: "announceSignalIgnored", params: () => ({ signal: "SIGUSR1" }) } },
          },
        },
      },
    },
    backoff: {
      entry: { type: "announceRestart", params: ({ context }) => ({ crashes: context.crashes }) },
      after: { crashBackoff: "supervising" },
      on: { STOP: "stopped" },
    },
    stopped: {
      type: "final",
      output: ({ context }) =>
        ({ exitCode: 0, outcome: "stopped", error: context.error }) satisfies SupervisorOutput,
    },
    failed: {
      type: "final",
      output: ({ context }) =>
        ({ exitCode: 1, outcome: "failed", error: context.error }) satisfies SupervisorOutput,
    },
    timedOut: {
      type: "final",
      output: ({ context }) =>
        ({ exitCode: 0, outcome: "timed-out", error: context.error }) satisfies SupervisorOutput,
    },
  },
  // The output of whichever final state was reached (the done-state event carries it).
  output: ({ event }) => (event as unknown as { output: SupervisorOutput }).output,
});
