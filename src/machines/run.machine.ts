import { assign, fromPromise, setup } from "xstate";

export type StopReason = "rpc" | "stop" | "timeout" | "provider" | "interrupted";

export interface RunContext {
  runId: string;
  timeoutMs: number;
  stopReason: StopReason | null;
  error: string | null;
}

export type RunEvent =
  /** The session lane let this run go. */
  { type: "START" } | { type: "ABORT"; reason: Exclude<StopReason, "timeout" | "provider"> };

export interface RunOutput {
  status: "ok" | "error";
  stopReason: StopReason | null;
  error: string | null;
}

/** setTimeout's ceiling (~24.8 days) stands in for "no timeout". */
export const NO_TIMEOUT_MS = 2_147_483_647;

const notProvided = new Error("run machine: the runtime must provide the provider actor");

/**
 * One agent run: `accepted` (persisted, acked, waiting in its session lane) → `streaming` (the
 * provider produces output) → `ok` | `error`. Abort and timeout end in `error` with a stop reason.
 */
export const runMachine = setup({
  types: {
    context: {} as RunContext,
    events: {} as RunEvent,
    input: {} as { runId: string; timeoutMs: number },
    output: {} as RunOutput,
  },
  actors: {
    provider: fromPromise<unknown, { runId: string }>(() => Promise.reject(notProvided)),
  },
  actions: {
    announceStreaming: (_, _params: { runId: string }) => {},
    finishRun: (_, _params: { runId: string } & RunOutput) => {},
  },
  delays: {
    runTimeout: ({ context }) =>
      Math.min(context.timeoutMs > 0 ? context.timeoutMs : NO_TIMEOUT_MS, NO_TIMEOUT_MS),
  },
}).createMachine({
  id: "run",
  context: ({ input }) => ({ runId: input.runId, timeoutMs: input.timeoutMs, stopReason: null, error: null }),
  initial: "accepted",
  states: {
    accepted: {
      on: {
        START: "streaming",
        ABORT: {
          target: "error",
          actions: assign({
            stopReason: ({ event }) => event.reason,
            error: ({ event }) => `aborted (${event.reason})`,
          }),
        },
      },
    },
    streaming: {
      entry: { type: "announceStreaming", params: ({ context }) => ({ runId: context.runId }) },
      invoke: {
        id: "provider",
        src: "provider",
        input: ({ context }) => ({ runId: context.runId }),
        onDone: "ok",
        onError: {
          target: "error",
          actions: assign({
            stopReason: "provider",
            error: ({ event }) => (event.error instanceof Error ? event.error.message : String(event.error)),
          }),
        },
      },
      after: {
        runTimeout: {
          target: "error",
          actions: assign({
            stopReason: "timeout",
            error: ({ context }) => `timed out after ${context.timeoutMs}ms`,
          }),
        },
      },
      on: {
        ABORT: {
          target: "error",
          actions: assign({
            stopReason: ({ event }) => event.reason,
            error: ({ event }) => `aborted (${event.reason})`,
          }),
        },
      },
    },
    ok: {
      type: "final",
      entry: {
        type: "finishRun",
        params: ({ context }) => ({
          runId: context.runId,
          status: "ok" as const,
          stopReason: null,
          error: null,
        }),
      },
    },
    error: {
      type: "final",
      entry: {
        type: "finishRun",
        params: ({ context }) => ({
          runId: context.runId,
          status: "error" as const,
          stopReason: context.stopReason,
          error: context.error,
        }),
      },
    },
  },
  output: ({ context }) => ({
    status: context.error === null ? "ok" : "error",
    stopReason: context.stopReason,
    error: context.error,
  }),
});
