import { setup } from "xstate";

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
}

export type ConnectionEvent =
  | { type: "CONNECT_RECEIVED"; requestId: string; params: unknown }
  | { type: "AUTHENTICATED"; requestId: string; session: AuthenticatedSession }
  /** `error` is a HandshakeRejection; anything else (a bug) closes 1011. */
  | { type: "AUTH_FAILED"; error: unknown }
  | ({ type: "HANDSHAKE_REJECTED" } & HandshakeRejection)
  | ({ type: "CLOSE" } & CloseRequest)
  /** The runtime's handshake deadline, started and stopped by the `handshake` state, ran out. */
  | { type: "HANDSHAKE_TIMEOUT" }
  /** The runtime's close grace, started and stopped by the `closing` state, ran out. */
  | { type: "CLOSE_GRACE_ELAPSED" }
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

const closeOf = (request: CloseRequest): CloseRequest => ({ code: request.code, reason: request.reason });

export const HANDSHAKE_TIMEOUT_CLOSE: CloseRequest = { code: 1000, reason: "" };

type Ctx = { context: ConnectionContext };
const conn = ({ context }: Ctx) => ({ connId: context.connId });

/** Closes the socket with the code and reason a CLOSE event asks for. */
const closeAsRequested = ({ context, event }: { context: ConnectionContext; event: CloseRequest }) => ({
  connId: context.connId,
  close: closeOf(event),
});

const closeOnTimeout = ({ context }: Ctx) => ({ connId: context.connId, close: HANDSHAKE_TIMEOUT_CLOSE });

/**
 * One WebSocket client: awaiting-connect → challenged → ready → closing → closed.
 *
 * Timers belong to states but run in the runtime, which reports one that runs out as an event
 * (HANDSHAKE_TIMEOUT, CLOSE_GRACE_ELAPSED). Every connection has the same two deadlines, so the runtime
 * keeps each in one queue on one timer rather than a timer per socket. The handshake deadline is started
 * with the challenge and covers `awaiting-connect` and `challenged` together (a slow authentication cannot
 * extend it); every state after them stops it on entry. Every way into `closing` says how the socket closes.
 */
export const connectionMachine = setup({
  types: {
    context: {} as ConnectionContext,
    events: {} as ConnectionEvent,
    /** The connection id: a string rather than an object, as an actor keeps its input for its whole life. */
    input: {} as string,
  },
  actions: {
    sendChallenge: (_, _params: { connId: string }) => {},
    startHandshakeDeadline: (_, _params: { connId: string }) => {},
    stopHandshakeDeadline: (_, _params: { connId: string }) => {},
    authenticate: (_, _params: AuthenticateInput) => {},
    sendHelloOk: (_, _params: { connId: string; requestId: string; session: AuthenticatedSession }) => {},
    watchPeer: (_, _params: { connId: string }) => {},
    unwatchPeer: (_, _params: { connId: string }) => {},
    sendRejection: (_, _params: { connId: string; rejection: HandshakeRejection }) => {},
    closeSocket: (_, _params: { connId: string; close: CloseRequest }) => {},
    startCloseGrace: (_, _params: { connId: string }) => {},
    stopCloseGrace: (_, _params: { connId: string }) => {},
    terminateSocket: (_, _params: { connId: string }) => {},
    releaseConnection: (_, _params: { connId: string }) => {},
  },
}).createMachine({
  id: "connection",
  context: ({ input }) => ({ connId: input }),
  initial: "awaiting-connect",
  on: {
    SOCKET_CLOSED: ".closed",
  },
  states: {
    "awaiting-connect": {
      entry: [
        { type: "sendChallenge", params: conn },
        { type: "startHandshakeDeadline", params: conn },
      ],
      on: {
        CONNECT_RECEIVED: {
          target: "challenged",
          actions: {
            type: "authenticate",
            params: ({ context, event }) => ({
              connId: context.connId,
              requestId: event.requestId,
              params: event.params,
            }),
          },
        },
        HANDSHAKE_REJECTED: {
          target: "closing",
          actions: [
            {
              type: "sendRejection",
              params: ({ context, event }) => ({ connId: context.connId, rejection: event }),
            },
            { type: "closeSocket", params: closeAsRequested },
          ],
        },
        HANDSHAKE_TIMEOUT: { target: "closing", actions: { type: "closeSocket", params: closeOnTimeout } },
        CLOSE: { target: "closing", actions: { type: "closeSocket", params: closeAsRequested } },
      },
    },
    // The runtime is authenticating the connect request and answers AUTHENTICATED or AUTH_FAILED;
    // a verdict that arrives after the deadline finds the connection closing and is ignored.
    challenged: {
      on: {
        AUTHENTICATED: {
          target: "ready",
          actions: {
            type: "sendHelloOk",
            params: ({ context, event }) => ({
              connId: context.connId,
              requestId: event.requestId,
              session: event.session,
            }),
          },
        },
        AUTH_FAILED: {
          target: "closing",
          actions: [
            {
              type: "sendRejection",
              params: ({ context, event }) => ({
                connId: context.connId,
                rejection: asRejection(event.error),
              }),
            },
            {
              type: "closeSocket",
              params: ({ context, event }) => ({
                connId: context.connId,
                close: closeOf(asRejection(event.error)),
              }),
            },
          ],
        },
        HANDSHAKE_TIMEOUT: { target: "closing", actions: { type: "closeSocket", params: closeOnTimeout } },
        CLOSE: { target: "closing", actions: { type: "closeSocket", params: closeAsRequested } },
      },
    },
    // While ready, the peer is on the keepalive sweep, which reports PEER_UNRESPONSIVE.
    ready: {
      entry: [
        { type: "stopHandshakeDeadline", params: conn },
        { type: "watchPeer", params: conn },
      ],
      exit: { type: "unwatchPeer", params: conn },
      on: {
        CLOSE: { target: "closing", actions: { type: "closeSocket", params: closeAsRequested } },
        PEER_UNRESPONSIVE: {
          target: "closed",
          actions: { type: "terminateSocket", params: conn },
        },
      },
    },
    // The close frame is out; a peer that does not finish the close within the grace is cut off.
    closing: {
      entry: [
        { type: "stopHandshakeDeadline", params: conn },
        { type: "startCloseGrace", params: conn },
      ],
      exit: { type: "stopCloseGrace", params: conn },
      on: {
        CLOSE_GRACE_ELAPSED: {
          target: "closed",
          actions: { type: "terminateSocket", params: conn },
        },
      },
    },
    closed: {
      type: "final",
      entry: [
        { type: "stopHandshakeDeadline", params: conn },
        { type: "releaseConnection", params: conn },
      ],
    },
  },
});
