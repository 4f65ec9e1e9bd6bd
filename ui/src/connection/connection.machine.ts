import { assign, setup } from "xstate";

/** The shared secret the page signs in with; a password is kept for the tab's memory only. */
export interface Secret {
  kind: "token" | "password";
  value: string;
}

/** Why the page is not (or no longer) connected, for the status bar and the sign-in form. */
export type NoticeKind =
  "auth-refused" | "rate-limited" | "origin-refused" | "refused" | "restarting" | "disconnected";

export interface Notice {
  kind: NoticeKind;
  message: string;
}

/** Event numbers around a gap: the page missed every event from `expected` to `received - 1`. */
export interface SeqGap {
  expected: number;
  received: number;
}

export interface ConnectionContext {
  secret: Secret | null;
  /** Reconnect attempts since the last hello-ok: the backoff exponent. */
  attempt: number;
  notice: Notice | null;
  /** The last gap in this connection's event numbers, while the page says it refreshed. */
  gap: SeqGap | null;
}

export type ConnectionMachineEvent =
  | { type: "SIGN_IN"; secret: Secret }
  | { type: "SIGN_OUT" }
  | { type: "SOCKET_OPENED" }
  | { type: "HELLO" }
  | { type: "CONNECT_REFUSED"; error: { code: string; message: string } }
  | { type: "SOCKET_CLOSED"; code: number; reason: string }
  | { type: "EVENTS_MISSED"; gap: SeqGap }
  | { type: "RETRY" };

export const BACKOFF_BASE_MS = 800;
export const BACKOFF_FACTOR = 1.7;
export const BACKOFF_MAX_MS = 15_000;
export const SERVICE_RESTART_CLOSE = 1012;
/** Each step of a (re)connect (socket open, then hello-ok) gets this long, as the gateway's own handshake. */
export const CONNECT_STEP_TIMEOUT_MS = 10_000;
/** How long the status bar mentions a refresh after missed events. */
export const GAP_NOTICE_MS = 10_000;

/** REFERENCE §9.4: 800 ms × 1.7 per attempt, at most 15 s. */
export function backoffDelay(attempt: number): number {
  return Math.min(Math.round(BACKOFF_BASE_MS * BACKOFF_FACTOR ** attempt), BACKOFF_MAX_MS);
}

type Refusal = Extract<ConnectionMachineEvent, { type: "CONNECT_REFUSED" }>;
type Closed = Extract<ConnectionMachineEvent, { type: "SOCKET_CLOSED" }>;

const isRateLimited = (event: Refusal) =>
  /too many failed authentication attempts/i.test(event.error.message);
const isOriginRefusal = (event: Refusal) => /^origin not allowed/i.test(event.error.message);
/** The secret itself was refused (or none was accepted): asking again is the only way forward. */
const isCredentialRefusal = (event: Refusal) =>
  /^unauthorized/i.test(event.error.message) || event.error.code === "NOT_PAIRED";

function closedNotice(event: Closed): Notice {
  if (event.code === SERVICE_RESTART_CLOSE) {
    return { kind: "restarting", message: "gateway restarting" };
  }
  const reason = event.reason ? `: ${event.reason}` : "";
  return { kind: "disconnected", message: `disconnected (${event.code}${reason})` };
}

/**
 * The Control UI's connection to its gateway: connecting → authenticating → connected → reconnecting.
 *
 * A refused secret is dropped and the page asks for one again (`signed-out`), so a stale stored token
 * cannot loop; every other loss of the socket (a close, a tick timeout, a step that hangs) retries with
 * backoff. A gap in the event numbers while connected means missed events: the views re-read
 * (`resync`) and the page says so for a while (`connected.resynced`). The socket itself, the storage
 * and the callbacks to views are actions the runtime provides.
 */
export const controlUiConnectionMachine = setup({
  types: {
    context: {} as ConnectionContext,
    events: {} as ConnectionMachineEvent,
    input: {} as { secret: Secret | null },
  },
  actions: {
    openSocket: () => {},
    closeSocket: () => {},
    sendConnect: (_, _params: { secret: Secret | null }) => {},
    storeSecret: (_, _params: { secret: Secret }) => {},
    forgetSecret: () => {},
    announceConnected: () => {},
    resync: () => {},
    noteConnectTimeout: assign({ notice: { kind: "disconnected", message: "connect timed out" } }),
  },
  guards: {
    hasSecret: ({ context }) => context.secret !== null,
    rateLimited: ({ event }) => isRateLimited(event as Refusal),
    originRefused: ({ event }) => isOriginRefusal(event as Refusal),
    credentialRefused: ({ event }) => isCredentialRefusal(event as Refusal),
  },
  delays: {
    backoff: ({ context }) => backoffDelay(context.attempt),
    connectStep: CONNECT_STEP_TIMEOUT_MS,
    gapNotice: GAP_NOTICE_MS,
  },
}).createMachine({
  id: "control-ui-connection",
  context: ({ input }) => ({ secret: input.secret, attempt: 0, notice: null, gap: null }),
  initial: "starting",
  on: {
    SIGN_IN: {
      target: ".connecting",
      actions: [
        "closeSocket",
        assign({ secret: ({ event }) => event.secret, attempt: 0, notice: null }),
        { type: "storeSecret", params: ({ event }) => ({ secret: event.secret }) },
      ],
    },
    SIGN_OUT: {
      target: ".signed-out",
      actions: ["closeSocket", "forgetSecret", assign({ secret: null, notice: null })],
    },
  },
  states: {
    starting: {
      always: [{ guard: "hasSecret", target: "connecting" }, { target: "signed-out" }],
    },
    "signed-out": {},
    connecting: {
      entry: "openSocket",
      // A socket that neither opens nor answers connect in time is given up like a closed one.
      after: { connectStep: { target: "reconnecting", actions: ["closeSocket", "noteConnectTimeout"] } },
      on: {
        SOCKET_OPENED: "authenticating",
        SOCKET_CLOSED: {
          target: "reconnecting",
          actions: assign({ notice: ({ event }) => closedNotice(event) }),
        },
      },
    },
    authenticating: {
      entry: { type: "sendConnect", params: ({ context }) => ({ secret: context.secret }) },
      after: { connectStep: { target: "reconnecting", actions: ["closeSocket", "noteConnectTimeout"] } },
      on: {
        HELLO: {
          target: "connected",
          actions: assign({ attempt: 0, notice: null }),
        },
        CONNECT_REFUSED: [
          {
            guard: "rateLimited",
            target: "signed-out",
            actions: [
              "closeSocket",
              "forgetSecret",
              assign({
                secret: null,
                notice: ({ event }) => ({ kind: "rate-limited" as const, message: event.error.message }),
              }),
            ],
          },
          {
            guard: "originRefused",
            target: "refused",
            actions: [
              "closeSocket",
              assign({
                notice: ({ event }) => ({ kind: "origin-refused" as const, message: event.error.message }),
              }),
            ],
          },
          {
            guard: "credentialRefused",
            target: "signed-out",
            actions: [
              "closeSocket",
              "forgetSecret",
              assign({
                secret: null,
                notice: ({ event }) => ({ kind: "auth-refused" as const, message: event.error.message }),
              }),
            ],
          },
          {
            // The gateway is starting, draining, or failed for now: it says so, and we retry.
            target: "reconnecting",
            actions: [
              "closeSocket",
              assign({ notice: ({ event }) => ({ kind: "refused" as const, message: event.error.message }) }),
            ],
          },
        ],
        SOCKET_CLOSED: {
          target: "reconnecting",
          actions: assign({ notice: ({ event }) => closedNotice(event) }),
        },
      },
    },
    connected: {
      entry: "announceConnected",
      exit: assign({ gap: null }),
      initial: "live",
      states: {
        live: {},
        // Events are never replayed: the page re-reads what it shows, and says so for a while.
        resynced: { after: { gapNotice: "live" } },
      },
      on: {
        EVENTS_MISSED: {
          target: ".resynced",
          actions: [assign({ gap: ({ event }) => event.gap }), "resync"],
        },
        SOCKET_CLOSED: {
          target: "reconnecting",
          actions: assign({ notice: ({ event }) => closedNotice(event) }),
        },
      },
    },
    reconnecting: {
      after: { backoff: { target: "connecting" } },
      on: { RETRY: "connecting" },
      exit: assign({ attempt: ({ context }) => context.attempt + 1 }),
    },
    refused: {
      on: { RETRY: "connecting" },
    },
  },
});
