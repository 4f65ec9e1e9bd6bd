import { assign, fromCallback, fromPromise, setup } from "xstate";

export interface DrainRequest {
  reason: string;
  /** null when the process is stopping for good; the expected downtime when restarting. */
  restartExpectedMs: number | null;
}

export interface GatewayContext {
  shutdown: DrainRequest | null;
  error: string | null;
  failedWhile: "starting" | "running" | null;
}

export type GatewayEvent = ({ type: "DRAIN" } & DrainRequest) | { type: "FAULT"; error: string };

export interface GatewayOutput {
  status: "stopped" | "failed";
  failedWhile: "starting" | "running" | null;
  error: string | null;
}

const notProvided = new Error("gateway machine: the runtime must provide this actor");

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
    announceStopped: (_, _params: { error: string | null }) => {},
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
          actions: assign({ error: ({ event }) => String(event.error), failedWhile: "starting" }),
        },
      },
      on: {
        // A stop that arrives mid-start is remembered and honoured as soon as the server is up.
        DRAIN: {
          actions: assign({
            shutdown: ({ event }) => ({ reason: event.reason, restartExpectedMs: event.restartExpectedMs }),
          }),
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
          actions: assign({
            shutdown: ({ event }) => ({ reason: event.reason, restartExpectedMs: event.restartExpectedMs }),
          }),
        },
        FAULT: {
          target: "closing",
          actions: assign({
            error: ({ event }) => event.error,
            failedWhile: "running",
            shutdown: () => ({ reason: "gateway failed", restartExpectedMs: null }),
          }),
        },
      },
    },
    draining: {
      entry: {
        type: "announceDraining",
        params: ({ context }) => context.shutdown ?? { reason: "gateway stopping", restartExpectedMs: null },
      },
      invoke: {
        id: "drainRuns",
        src: "drainRuns",
        input: ({ context }) => context.shutdown ?? { reason: "gateway stopping", restartExpectedMs: null },
        onDone: "closing",
        onError: "closing",
      },
    },
    closing: {
      invoke: {
        id: "closeServer",
        src: "closeServer",
        input: ({ context }) => context.shutdown ?? { reason: "gateway stopping", restartExpectedMs: null },
        onDone: [{ guard: ({ context }) => context.error !== null, target: "failed" }, { target: "stopped" }],
        onError: [
          { guard: ({ context }) => context.error !== null, target: "failed" },
          { target: "stopped" },
        ],
      },
    },
    stopped: {
      type: "final",
      entry: { type: "announceStopped", params: () => ({ error: null }) },
    },
    failed: {
      type: "final",
      entry: { type: "announceStopped", params: ({ context }) => ({ error: context.error }) },
    },
  },
  output: ({ context }) => ({
    status: context.error === null ? "stopped" : "failed",
    failedWhile: context.failedWhile,
    error: context.error,
  }),
});
