import { assign, setup } from "xstate";

/** How the server ends a connection: a WebSocket close code and reason. */
export interface CloseRequest {
  code: number;
  reason: string;
}

/** A refused handshake: the error response to send (when the frame was a request) and how to close. */
export interface HandshakeRejection extends CloseRequest {
  requestId?: string;
  error?: { code: string; message: string; details?: unknown; retryable?: boolean; retryAfterMs?: number };
}

export interface ConnectionContext {
  connId: string;
  /** The `connect` request being authenticated, until hello-ok is sent. */
  connectRequest: { requestId: string; params: unknown } | null;
  close: CloseRequest | null;
}

export type ConnectionEvent =
  | { type: "CONNECT_RECEIVED"; requestId: string; params: unknown }
  | { type: "AUTHENTICATED"; session: AuthenticatedSession }
  /** `error` is a HandshakeRejection; anything else (a bug) closes 1011. */
  | { type: "AUTH_FAILED"; error: unknown }
  | ({ type: "HANDSHAKE_REJECTED" } & HandshakeRejection)
  | ({ type: "CLOSE" } & CloseRequest)
  | { type: "PEER_UNRESPONSIVE" }
  | { type: "SOCKET_CLOSED"; code: number };

export interface AuthenticateInput {
  connId: string;
  requestId: string;
  params: unknown;
}

/** What a successful authentication hands to `sendHelloOk`; opaque to the machine. */
export type AuthenticatedSession = unknown;

const INTERNAL_ERROR_CLOSE: CloseRequest = { code: 1011, reason: "internal error" };

/** An authentication failure that is not a HandshakeRejection (a bug) still closes cleanly. */
export function asRejection(error: unknown): HandshakeRejection {
  const candidate = error as Partial<HandshakeRejection> | null;
  if (candidate && typeof candidate.code === "number" && typeof candidate.reason === "string") {
    return candidate as HandshakeRejection;
  }
  return INTERNAL_ERROR_CLOSE;
}

const closeOf = (rejection: HandshakeRejection): CloseRequest => ({
  code: rejection.code,
  reason: rejection.reason,
});

export const HANDSHAKE_TIMEOUT_CLOSE: CloseRequest = { code: 1000, reason: "" };

/**
 * One WebSocket client: challenge → connect → authenticate → ready → closing → closed.
 * Every timer lives in a state, so leaving the state releases it.
 */
export const connectionMachine = setup({
  types: {
    context: {} as ConnectionContext,
    events: {} as ConnectionEvent,
    input: {} as { connId: string },
  },
  actions: {
    authenticate: (_, _params: AuthenticateInput) => {},
    sendChallenge: (_, _params: { connId: string }) => {},
    sendHelloOk: (_, _params: { connId: string; requestId: string; session: AuthenticatedSession }) => {},
    watchPeer: (_, _params: { connId: string }) => {},
    unwatchPeer: (_, _params: { connId: string }) => {},
    sendRejection: (_, _params: { connId: string; rejection: HandshakeRejection }) => {},
    closeSocket: (_, _params: { connId: string; close: CloseRequest }) => {},
    terminateSocket: (_, _params: { connId: string }) => {},
    releaseConnection: (_, _params: { connId: string }) => {},
  },
  delays: {
    handshakeTimeout: 10_000,
    closeGrace: 1_000,
  },
}).createMachine({
  id: "connection",
  context: ({ input }) => ({ connId: input.connId, connectRequest: null, close: null }),
  initial: "handshake",
  on: {
    SOCKET_CLOSED: ".closed",
  },
  states: {
    // One deadline for the whole handshake, counted from the challenge: a slow authentication cannot extend it.
    handshake: {
      initial: "awaiting-connect",
      after: {
        handshakeTimeout: { target: "closing", actions: assign({ close: () => HANDSHAKE_TIMEOUT_CLOSE }) },
      },
      on: {
        CLOSE: {
          target: "closing",
          actions: assign({ close: ({ event }) => ({ code: event.code, reason: event.reason }) }),
        },
      },
      states: {
        "awaiting-connect": {
          entry: { type: "sendChallenge", params: ({ context }) => ({ connId: context.connId }) },
          on: {
            CONNECT_RECEIVED: {
              target: "challenged",
              actions: assign({
                connectRequest: ({ event }) => ({ requestId: event.requestId, params: event.params }),
              }),
            },
            HANDSHAKE_REJECTED: {
              target: "#connection.closing",
              actions: [
                {
                  type: "sendRejection",
                  params: ({ context, event }) => ({ connId: context.connId, rejection: event }),
                },
                assign({ close: ({ event }) => ({ code: event.code, reason: event.reason }) }),
              ],
            },
          },
        },
        // The runtime authenticates the connect request and answers AUTHENTICATED or AUTH_FAILED;
        // a verdict that arrives after the deadline finds the connection closing and is ignored.
        challenged: {
          entry: {
            type: "authenticate",
            params: ({ context }) => ({
              connId: context.connId,
              requestId: context.connectRequest?.requestId ?? "",
              params: context.connectRequest?.params,
            }),
          },
          on: {
            AUTHENTICATED: {
              target: "#connection.ready",
              actions: [
                {
                  type: "sendHelloOk",
                  params: ({ context, event }) => ({
                    connId: context.connId,
                    requestId: context.connectRequest?.requestId ?? "",
                    session: event.session,
                  }),
                },
                assign({ connectRequest: null }),
              ],
            },
            AUTH_FAILED: {
              target: "#connection.closing",
              actions: [
                {
                  type: "sendRejection",
                  params: ({ context, event }) => ({
                    connId: context.connId,
                    rejection: asRejection(event.error),
                  }),
                },
                assign({ close: ({ event }) => closeOf(asRejection(event.error)) }),
              ],
            },
          },
        },
      },
    },
    // While ready, the peer is on the keepalive sweep, which reports PEER_UNRESPONSIVE.
    ready: {
      entry: { type: "watchPeer", params: ({ context }) => ({ connId: context.connId }) },
      exit: { type: "unwatchPeer", params: ({ context }) => ({ connId: context.connId }) },
      on: {
        CLOSE: {
          target: "closing",
          actions: assign({ close: ({ event }) => ({ code: event.code, reason: event.reason }) }),
        },
        PEER_UNRESPONSIVE: {
          target: "closed",
          actions: { type: "terminateSocket", params: ({ context }) => ({ connId: context.connId }) },
        },
      },
    },
    closing: {
      entry: {
        type: "closeSocket",
        params: ({ context }) => ({
          connId: context.connId,
          close: context.close ?? HANDSHAKE_TIMEOUT_CLOSE,
        }),
      },
      after: {
        closeGrace: {
          target: "closed",
          actions: { type: "terminateSocket", params: ({ context }) => ({ connId: context.connId }) },
        },
      },
    },
    closed: {
      type: "final",
      entry: { type: "releaseConnection", params: ({ context }) => ({ connId: context.connId }) },
    },
  },
});
