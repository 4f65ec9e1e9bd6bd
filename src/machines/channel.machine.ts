import { assign, fromCallback, fromPromise, setup } from "xstate";

/** How an account begins: its config decides whether it may run at all. */
export type ChannelAccountReadiness = "enabled" | "disabled" | "unconfigured";

export interface ChannelAccountInput {
  channel: string;
  accountId: string;
  readiness: ChannelAccountReadiness;
  /** Why it is disabled or unconfigured. */
  reason?: string;
  /** The jitter source, [0, 1); tests pass a fixed one. */
  random?: () => number;
}

export interface ChannelAccountContext {
  channel: string;
  accountId: string;
  readiness: ChannelAccountReadiness;
  reason: string | null;
  /** Restarts since the account last ran stably; the next backoff grows with it. */
  attempt: number;
  restartDelayMs: number;
  lastError: string | null;
  /** Where a stop leads: to `stopped`, or (a restart) to a fresh start. */
  afterStop: "stopped" | "restart";
  random: () => number;
}

export type ChannelAccountEvent =
  | { type: "CONNECTION_LOST"; error: string }
  /** Stop and start again with a fresh transport (health monitor, operator). */
  | { type: "RESTART"; reason: string }
  /** Stop and stay stopped (logout, gateway shutdown). */
  | { type: "STOP" }
  | { type: "START" };

export const RESTART_BASE_MS = 5_000;
export const RESTART_MAX_MS = 5 * 60_000;
export const RESTART_JITTER = 0.1;

/** The delay before restart attempt `attempt` (1-based): 5 s doubling to 5 min, ±10 % jitter. */
export function restartDelayMs(attempt: number, random: number): number {
  const base = Math.min(RESTART_BASE_MS * 2 ** Math.max(0, attempt - 1), RESTART_MAX_MS);
  return Math.round(base * (1 + (random * 2 - 1) * RESTART_JITTER));
}

const notProvided = new Error("channel machine: the runtime must provide this actor");

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * One channel account: disabled / unconfigured, or starting → running ⇄ reconnecting, and stopping →
 * stopped. An enabled, configured account is always running or on its way back: a failed start or a
 * lost connection schedules the next attempt with a capped backoff and no final give-up, and a stop
 * that does not finish in time still ends (the runtime abandons that transport) and a restart then
 * opens a fresh one.
 */
export const channelAccountMachine = setup({
  types: {
    context: {} as ChannelAccountContext,
    events: {} as ChannelAccountEvent,
    input: {} as ChannelAccountInput,
  },
  actors: {
    /** Opens a fresh transport; resolves once the account can receive and send. */
    startAccount: fromPromise<void, { attempt: number }>(() => Promise.reject(notProvided)),
    /** Reports CONNECTION_LOST when the live transport ends. */
    watchConnection: fromCallback<ChannelAccountEvent>(() => {}),
    /** Closes the transport; the `stopTimeout` delay bounds it. */
    stopAccount: fromPromise<void>(() => Promise.reject(notProvided)),
  },
  actions: {
    announceRunning: () => {},
    announceFailure: (_, _params: { error: string }) => {},
    announceRestart: (_, _params: { attempt: number; delayMs: number; error: string | null }) => {},
    announceStopTimeout: () => {},
    /** Drops the current transport without waiting for it (it failed or is wedged). */
    abandonTransport: () => {},
    announceStopped: () => {},
  },
  guards: {
    isDisabled: ({ context }) => context.readiness === "disabled",
    isUnconfigured: ({ context }) => context.readiness === "unconfigured",
    restartAfterStop: ({ context }) => context.afterStop === "restart",
  },
  delays: {
    restartBackoff: ({ context }) => context.restartDelayMs,
    stopTimeout: 5_000,
    /** Running this long without trouble resets the backoff. */
    stableAfter: 60_000,
  },
}).createMachine({
  id: "channel",
  context: ({ input }) => ({
    channel: input.channel,
    accountId: input.accountId,
    readiness: input.readiness,
    reason: input.reason ?? null,
    attempt: 0,
    restartDelayMs: 0,
    lastError: null,
    afterStop: "stopped",
    random: input.random ?? Math.random,
  }),
  initial: "checking",
  states: {
    checking: {
      always: [
        { guard: "isDisabled", target: "disabled" },
        { guard: "isUnconfigured", target: "unconfigured" },
        { target: "starting" },
      ],
    },
    disabled: {},
    unconfigured: {},
    starting: {
      invoke: {
        id: "startAccount",
        src: "startAccount",
        input: ({ context }) => ({ attempt: context.attempt }),
        onDone: { target: "running", actions: "announceRunning" },
        onError: {
          target: "reconnecting",
          actions: [
            assign({ lastError: ({ event }) => errorText(event.error) }),
            { type: "announceFailure", params: ({ event }) => ({ error: errorText(event.error) }) },
            "abandonTransport",
          ],
        },
      },
      on: {
        STOP: { target: "stopping", actions: assign({ afterStop: "stopped" }) },
        RESTART: { target: "stopping", actions: assign({ afterStop: "restart" }) },
      },
    },
    running: {
      entry: assign({ lastError: null }),
      invoke: { id: "watchConnection", src: "watchConnection" },
      after: { stableAfter: { actions: assign({ attempt: 0 }) } },
      on: {
        CONNECTION_LOST: {
          target: "reconnecting",
          actions: [assign({ lastError: ({ event }) => event.error }), "abandonTransport"],
        },
        RESTART: {
          target: "stopping",
          actions: assign({ afterStop: "restart", lastError: ({ event }) => event.reason }),
        },
        STOP: { target: "stopping", actions: assign({ afterStop: "stopped" }) },
      },
    },
    reconnecting: {
      entry: [
        assign(({ context }) => {
          const attempt = context.attempt + 1;
          return { attempt, restartDelayMs: restartDelayMs(attempt, context.random()) };
        }),
        {
          type: "announceRestart",
          params: ({ context }) => ({
            attempt: context.attempt,
            delayMs: context.restartDelayMs,
            error: context.lastError,
          }),
        },
      ],
      after: { restartBackoff: "starting" },
      on: {
        RESTART: "starting",
        STOP: { target: "stopped", actions: "announceStopped" },
      },
    },
    stopping: {
      invoke: {
        id: "stopAccount",
        src: "stopAccount",
        onDone: [
          { guard: "restartAfterStop", target: "starting" },
          { target: "stopped", actions: "announceStopped" },
        ],
        onError: [
          { guard: "restartAfterStop", target: "starting", actions: "abandonTransport" },
          { target: "stopped", actions: ["abandonTransport", "announceStopped"] },
        ],
      },
      after: {
        stopTimeout: [
          {
            guard: "restartAfterStop",
            target: "starting",
            actions: ["announceStopTimeout", "abandonTransport"],
          },
          { target: "stopped", actions: ["announceStopTimeout", "abandonTransport", "announceStopped"] },
        ],
      },
      on: {
        STOP: { actions: assign({ afterStop: "stopped" }) },
      },
    },
    stopped: {
      on: {
        START: { target: "starting", actions: assign({ attempt: 0 }) },
        RESTART: { target: "starting", actions: assign({ attempt: 0 }) },
      },
    },
  },
});
