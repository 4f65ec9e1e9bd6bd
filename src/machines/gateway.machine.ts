import { assign, fromCallback, fromPromise, setup } from "xstate";

/** How long each step of a shutdown may take; decided once by the runtime and handed down. */
export interface ShutdownBudget {
  /** The whole stop or restart, from the request until the gateway has closed; past it the supervisor gives up. */
  deadlineMs: number;
  /** In-flight runs may finish within this; leftovers are interrupted. */
  drainMs: number;
  /** After `shutdown` and the close frames, how long peers get to close before their sockets are ended. */
  closeWaitMs: number;
}

export interface DrainRequest {
  reason: string;
  /** null when the process is stopping for good; the expected downtime when restarting. */
  restartExpectedMs: number | null;
  budget: ShutdownBudget;
}

export interface GatewayContext {
  shutdown: DrainRequest | null;
  error: string | null;
  failedWhile: "starting" | "running" | null;
}

export type GatewayEvent =
  | ({ type: "DRAIN" } & DrainRequest)
  /** The server failed under the gateway (its listener died); closing still gets this budget. */
  | { type: "FAULT"; error: string; budget: ShutdownBudget };

const drainRequestOf = ({ reason, restartExpectedMs, budget }: DrainRequest): DrainRequest => ({
  reason,
  restartExpectedMs,
  budget,
});

export interface GatewayOutput {
  status: "stopped" | "failed";
  failedWhile: "starting" | "running" | null;
  error: string | null;
}

const notProvided = new Error("gateway machine: the runtime must provide this actor");
/** Never used in practice: `draining` and `closing` are reached only with a request recorded. */
const NO_REQUEST: DrainRequest = {
  reason: "gateway stopping",
  restartExpectedMs: null,
  budget: { deadlineMs: 0, drainMs: 0, closeWaitMs: 0 },
};

/**
 * The server's lifecycle. `ready` owns the background services (tick, health, presence);
 * `draining` refuses new work while in-flight runs finish; `closing` tells every client and closes.
 */
export const gatewayMachine = setup({
  types: {
    context: {} as GatewayContext,
    events: {} as GatewayEvent,
    output: {} as GatewayOutput,
  },
  actors: {
    startServer: fromPromise<void, void>(() => Promise.reject(notProvided)),
    services: fromCallback<GatewayEvent>(() => {}),
    drainRuns: fromPromise<void, DrainRequest>(() => Promise.resolve()),
    closeServer: fromPromise<void, DrainRequest>(() => Promise.resolve()),
  },
  actions: {
    announceReady: () => {},
    announceDraining: (_, _params: DrainRequest) => {},
    announceStopped: (_, _params: { error: string | null; failedWhile: GatewayContext["failedWhile"] }) => {},
  },
  guards: {
    drainRequested: ({ context }) => context.shutdown !== null,
  },
}).createMachine({
  id: "gateway",
  context: { shutdown: null, error: null, failedWhile: null },
  initial: "starting",
  states: {
    starting: {
      invoke: {
        id: "startServer",
        src: "startServer",
        onDone: "ready",
        onError: {
          target: "failed",
          actions: assign({
            // As String(error) reads: "Error: …" for a thrown error, the message alone for a listen failure.
            error: ({ event }) => String(event.error),
            failedWhile: "starting",
          }),
        },
      },
      on: {
        // A stop that arrives mid-start is remembered and honoured as soon as the server is up.
        DRAIN: {
          actions: assign({ shutdown: ({ event }) => drainRequestOf(event) }),
        },
      },
    },
    ready: {
      entry: "announceReady",
      always: { guard: "drainRequested", target: "draining" },
      invoke: { id: "services", src: "services" },
      on: {
        DRAIN: {
          target: "draining",
          actions: assign({ shutdown: ({ event }) => drainRequestOf(event) }),
        },
        FAULT: {
          target: "closing",
          actions: assign({
            error: ({ event }) => event.error,
            failedWhile: "running",
            shutdown: ({ event }) => ({
              reason: "gateway failed",
              restartExpectedMs: null,
              budget: event.budget,
            }),
          }),
        },
      },
    },
    draining: {
      entry: {
        type: "announceDraining",
        params: ({ context }) => context.shutdown ?? NO_REQUEST,
      },
      invoke: {
        id: "drainRuns",
        src: "drainRuns",
        input: ({ context }) => context.shutdown ?? NO_REQUEST,
        onDone: "closing",
        onError: "closing",
      },
    },
    closing: {
      invoke: {
        id: "closeServer",
        src: "closeServer",
        input: ({ context }) => context.shutdown ?? NO_REQUEST,
        onDone: [{ guard: ({ context }) => context.error !== null, target: "failed" }, { target: "stopped" }],
        onError: [
          { guard: ({ context }) => context.error !== null, target: "failed" },
          { target: "stopped" },
        ],
      },
    },
    stopped: {
      type: "final",
      entry: { type: "announceStopped", params: () => ({ error: null, failedWhile: null }) },
    },
    failed: {
      type: "final",
      entry: {
        type: "announceStopped",
        params: ({ context }) => ({ error: context.error, failedWhile: context.failedWhile }),
      },
    },
  },
  output: ({ context }) => ({
    status: context.error === null ? "stopped" : "failed",
    failedWhile: context.failedWhile,
    error: context.error,
  }),
});
