import { randomUUID } from "node:crypto";
import type http from "node:http";
import type { RawData, WebSocket } from "ws";
import { createActor } from "xstate";
import type { CoderclawConfig } from "../config/schema.js";
import type { ActivityLog } from "../log/activity-log.js";
import type { SubsystemLogger } from "../log/logger.js";
import {
  connectionMachine,
  type ConnectionEvent,
  type HandshakeRejection,
} from "../machines/connection.machine.js";
import type { Dispatcher } from "../methods/dispatcher.js";
import type { GatewayMetrics } from "../metrics/gateway-metrics.js";
import type { ClientSession } from "../protocol/client-session.js";
import { CloseCodes, ErrorCodes, errorShape, validateRequestFrame } from "../protocol/index.js";
import type { GatewayAccess } from "../transport/access.js";
import { ClientConnection, type SendLimit } from "../transport/client-connection.js";
import { DeadlineQueue } from "../transport/deadline-queue.js";
import { KeepaliveSweep } from "../transport/keepalive-sweep.js";
import type { DevicePairing } from "../devices/device-pairing.js";
import { authenticateConnect, type AdmittedSession } from "./handshake.js";
import type { HelloOk } from "./hello-ok.js";
import { createFailureParent } from "../machines/failure-parent.js";
import { CLOSE_GRACE_MS } from "./shutdown-budget.js";
import type { ActorNode } from "../protocol/actor-inspection.js";
import type { Inspection, OnDemandActors } from "./inspection.js";

const CONNECTION_ACTOR_PREFIX = "connection:";

/** Frames before hello-ok are capped far below maxPayload, so an unauthenticated peer cannot make us buffer much. */
export const PRE_HELLO_MAX_PAYLOAD = 64 * 1024;

export interface ConnectionRuntimeDeps {
  config: CoderclawConfig;
  /** The shared secret or proxy identity, the rate limiter and the trusted proxies. */
  access: GatewayAccess;
  lifecycleState(): string;
  connections: Map<string, ClientConnection>;
  dispatcher: Dispatcher;
  /** Connections are inspected on demand: listed for the tree, streamed only while someone follows. */
  inspection: Inspection;
  log: SubsystemLogger;
  helloOk: HelloOk;
  metrics?: GatewayMetrics | null;
  /** Device pairing, once state.db is open. */
  devices?(): DevicePairing | null;
  onJoined(session: ClientSession): void;
  onLeft(session: ClientSession): void;
  /** The activity log: told of every ended connection, and of every frame while a trace runs. */
  activity: ActivityLog;
}

/**
 * A connection id, stored flat: V8 builds a `randomUUID()` string from about twenty concatenated
 * pieces, and one kept for a connection's whole life would hold on to all of them.
 */
function newConnId(): string {
  return flat(randomUUID());
}

/** A one-byte string stored flat, for strings held as long as a connection (not a tree of concatenations). */
function flat(text: string): string {
  return Buffer.from(text, "latin1").toString("latin1");
}

/** The connection a socket belongs to, on the socket itself: the socket listeners are shared, not per socket. */
const CONNECTION = Symbol("connection");
type OwnedSocket = WebSocket & { [CONNECTION]: ClientConnection };
const connectionOf = (socket: WebSocket) => (socket as OwnedSocket)[CONNECTION];

/** One set of socket listeners for every socket: ws calls them with the socket as `this`. */
function sharedSocketListeners(
  log: SubsystemLogger,
  onMessage: (connection: ClientConnection, data: RawData, isBinary: boolean) => void,
) {
  return {
    // Without an error listener, a frame over maxPayload would crash the process.
    error(this: WebSocket, error: Error) {
      log.debug("socket error", { connId: connectionOf(this).connId, error: error.message });
    },
    pong(this: WebSocket) {
      connectionOf(this).missedPongs = 0;
    },
    message(this: WebSocket, data: RawData, isBinary: boolean) {
      onMessage(connectionOf(this), data, isBinary);
    },
    close(this: WebSocket, code: number, reason: Buffer) {
      const connection = connectionOf(this);
      connection.socketClose = { code, reason: reason.toString() };
      connection.actor.send({ type: "SOCKET_CLOSED", code });
    },
  };
}

/** ws has no per-socket maxPayload; its receiver reads this field on every frame header. */
function setReceiveLimit(socket: WebSocket, bytes: number): void {
  const receiver = (socket as unknown as { _receiver?: { _maxPayload: number } })._receiver;
  if (receiver) receiver._maxPayload = bytes;
}

/** A gateway that is still starting asks the client to come back shortly instead of refusing it. */
function startingRejection(requestId: string): HandshakeRejection {
  return {
    requestId,
    error: errorShape(ErrorCodes.UNAVAILABLE, "gateway is starting; retry shortly", {
      retryable: true,
      retryAfterMs: 500,
      details: { reason: "starting" },
    }),
    code: CloseCodes.TRY_AGAIN_LATER,
    reason: "gateway starting",
  };
}

/** REFERENCE §5.2 item 3: what the first frame must be, and what happens when it is not. */
export function classifyFirstFrame(text: string): ConnectionEvent {
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    return { type: "HANDSHAKE_REJECTED", code: CloseCodes.NORMAL, reason: "" };
  }
  const checked = validateRequestFrame(frame);
  if (!checked.ok) {
    return { type: "HANDSHAKE_REJECTED", code: CloseCodes.POLICY_VIOLATION, reason: "invalid request frame" };
  }
  if (checked.value.method !== "connect") {
    const message = "invalid handshake: first request must be connect";
    return {
      type: "HANDSHAKE_REJECTED",
      requestId: checked.value.id,
      error: { code: ErrorCodes.INVALID_REQUEST, message },
      code: CloseCodes.POLICY_VIOLATION,
      reason: message,
    };
  }
  return { type: "CONNECT_RECEIVED", requestId: checked.value.id, params: checked.value.params };
}

/**
 * The I/O side of every connection: accepts sockets, runs one connection actor per socket (with the
 * machine's actions bound to real sockets), and routes frames to the handshake or the dispatcher.
 */
export class ConnectionRuntime {
  private readonly logic;
  private readonly keepalive: KeepaliveSweep;
  private readonly handshakeDeadlines: DeadlineQueue<ClientConnection>;
  private readonly closeGraces: DeadlineQueue<ClientConnection>;
  /** The parent of every connection actor; it hears when one of them fails. */
  private readonly host;
  /** The slow-consumer rule for replies (events have the same rule in the broadcaster). */
  private readonly sendLimit: SendLimit;
  private readonly socketListeners;

  constructor(private readonly deps: ConnectionRuntimeDeps) {
    this.keepalive = new KeepaliveSweep(deps.config.gateway.tickIntervalMs, (connection) =>
      connection.actor.send({ type: "PEER_UNRESPONSIVE" }),
    );
    this.handshakeDeadlines = new DeadlineQueue(deps.config.gateway.handshakeTimeoutMs, (connection) => {
      deps.metrics?.handshakeTimedOut();
      connection.actor.send({ type: "HANDSHAKE_TIMEOUT" });
    });
    this.closeGraces = new DeadlineQueue(CLOSE_GRACE_MS, (connection) =>
      connection.actor.send({ type: "CLOSE_GRACE_ELAPSED" }),
    );
    this.sendLimit = {
      maxBufferedBytes: deps.config.gateway.maxBufferedBytes,
      onSlowConsumer: (connection) => {
        if (!connection.ready) return;
        const unread = connection.socket.bufferedAmount;
        const limit = deps.config.gateway.maxBufferedBytes;
        deps.log.warn(
          `closing slow consumer: ${unread} bytes of replies unread (maxBufferedBytes ${limit})`,
          { connId: connection.connId, remote: connection.clientIp },
        );
        deps.metrics?.slowConsumerClosed("replies");
        connection.actor.send({ type: "CLOSE", code: CloseCodes.POLICY_VIOLATION, reason: "slow consumer" });
      },
    };
    this.socketListeners = sharedSocketListeners(deps.log, (connection, data, isBinary) =>
      this.onMessage(connection, data, isBinary),
    );
    this.logic = this.provideMachine();
    this.host = createFailureParent("connections", (actorId, error) =>
      this.onConnectionFailed(actorId, error),
    );
    deps.inspection.addGroup(this.inspected);
  }

  private readonly inspected: OnDemandActors = {
    nodes: () => {
      const host = this.host;
      const nodes: ActorNode[] = [
        {
          id: host.id,
          sessionId: host.sessionId,
          machine: null,
          parent: null,
          state: null,
          status: "active",
        },
      ];
      for (const { actor } of this.deps.connections.values()) {
        const snapshot = actor.getSnapshot();
        nodes.push({
          id: actor.id,
          sessionId: actor.sessionId,
          machine: connectionMachine.id,
          parent: host.sessionId,
          state: snapshot.value,
          status: snapshot.status,
        });
      }
      return nodes;
    },
    size: () => 1 + this.deps.connections.size,
    observe: (observer) => {
      const subscription = this.host.system.inspect(observer);
      return () => subscription.unsubscribe();
    },
  };

  accept(socket: WebSocket, request: http.IncomingMessage): void {
    const connId = newConnId();
    const connection = new ClientConnection(connId, socket, this.deps.access.peer(request), this.sendLimit);
    (socket as OwnedSocket)[CONNECTION] = connection;
    setReceiveLimit(socket, PRE_HELLO_MAX_PAYLOAD);
    const listeners = this.socketListeners;
    socket.on("error", listeners.error);
    socket.on("pong", listeners.pong);
    socket.on("message", listeners.message);
    socket.on("close", listeners.close);
    connection.trace = this.deps.activity.frames;
    this.deps.connections.set(connId, connection);
    connection.actor = createActor(this.logic, {
      id: flat(`${CONNECTION_ACTOR_PREFIX}${connId}`),
      input: connId,
      parent: this.host,
    });
    connection.actor.start();
  }

  /** A bug in a connection's action stops its actor: the socket goes with it, the gateway stays up. */
  private onConnectionFailed(actorId: string, error: unknown): void {
    const connId = actorId.slice(CONNECTION_ACTOR_PREFIX.length);
    this.deps.log.error("connection failed", { connId, error: String(error) });
    const connection = this.deps.connections.get(connId);
    if (connection) this.release(connection);
  }

  /** Ends what the runtime holds for a connection; a failed actor never ran its exit actions. */
  private release(connection: ClientConnection): void {
    this.keepalive.remove(connection);
    this.handshakeDeadlines.remove(connection);
    this.closeGraces.remove(connection);
    this.deps.connections.delete(connection.connId);
    connection.socket.terminate();
    if (connection.session) this.deps.onLeft(connection.session);
    const { connId, session, openedAt, closeRequest, socketClose } = connection;
    const remoteAddress = connection.clientIp;
    this.deps.activity.disconnected({ connId, session, openedAt, closeRequest, socketClose, remoteAddress });
  }

  /** After the gateway closed its sockets: no socket, keepalive timer or actor outlives it. */
  stop(): void {
    // A peer that never finished closing is cut off; its machine ends the normal way, in `closed`.
    for (const connection of [...this.deps.connections.values()]) {
      connection.socket.terminate();
      connection.actor.send({ type: "SOCKET_CLOSED", code: 1006 });
    }
    this.keepalive.clear();
    this.handshakeDeadlines.clear();
    this.closeGraces.clear();
    this.deps.inspection.removeGroup(this.inspected);
    this.host.stop();
  }

  private onMessage(connection: ClientConnection, data: RawData, isBinary: boolean): void {
    const text = isBinary ? "" : data.toString();
    this.deps.activity.frames?.inbound(connection.connId, text);
    if (connection.session !== null && connection.ready) {
      this.deps.dispatcher.handle(connection.session, text, connection.sendFrame);
      return;
    }
    if (!connection.actor.getSnapshot().matches("awaiting-connect")) return;
    connection.actor.send(classifyFirstFrame(text));
  }

  private provideMachine() {
    const { config, connections, log } = this.deps;
    const gateway = config.gateway;
    const get = (connId: string) => connections.get(connId);
    /** An action on the connection, if it is still there. */
    const onConnection =
      (act: (connection: ClientConnection) => void) =>
      (_: unknown, { connId }: { connId: string }) => {
        const connection = get(connId);
        if (connection) act(connection);
      };
    return connectionMachine.provide({
      actions: {
        // The verdict is an event the actor handles after this step, like any other.
        authenticate: (_, request) => {
          const connection = get(request.connId);
          if (!connection) return;
          let verdict: ConnectionEvent;
          try {
            if (this.deps.lifecycleState() === "starting") throw startingRejection(request.requestId);
            const peer = connection.peer;
            if (!peer) throw new Error("connect after the handshake");
            const session = authenticateConnect(
              { ...request, nonce: connection.nonce, peer },
              {
                access: this.deps.access,
                allowedOrigins: gateway.controlUi.allowedOrigins,
                devices: this.deps.devices?.() ?? null,
              },
            );
            verdict = { type: "AUTHENTICATED", requestId: request.requestId, session };
          } catch (error) {
            verdict = { type: "AUTH_FAILED", error };
          }
          connection.actor.send(verdict);
        },
        sendChallenge: (_, { connId }) => {
          const connection = get(connId);
          if (!connection) return;
          connection.nonce = randomUUID();
          const challenge = `{"type":"event","event":"connect.challenge","payload":{"nonce":"${connection.nonce}","ts":${Date.now()}}}`;
          connection.trace?.outbound(connId, challenge);
          connection.socket.send(challenge);
        },
        sendHelloOk: (_, { connId, requestId, session }) => {
          const connection = get(connId);
          if (!connection) return;
          // The device token goes out in hello-ok once and is not kept with the connection.
          const { deviceAuth, ...admitted } = session as AdmittedSession;
          connection.session = admitted;
          connection.nonce = "";
          connection.peer = null;
          setReceiveLimit(connection.socket, gateway.maxPayloadBytes);
          const [head, rest] = this.deps.helloOk.frame(requestId, connection.session, deviceAuth);
          connection.sendInTwoParts(head, rest);
          this.deps.metrics?.handshakeSucceeded();
          this.deps.onJoined(connection.session);
        },
        startHandshakeDeadline: onConnection((connection) => this.handshakeDeadlines.add(connection)),
        stopHandshakeDeadline: onConnection((connection) => this.handshakeDeadlines.remove(connection)),
        startCloseGrace: onConnection((connection) => this.closeGraces.add(connection)),
        stopCloseGrace: onConnection((connection) => this.closeGraces.remove(connection)),
        watchPeer: onConnection((connection) => this.keepalive.add(connection)),
        unwatchPeer: onConnection((connection) => this.keepalive.remove(connection)),
        sendRejection: (_, { connId, rejection }) => {
          this.deps.metrics?.handshakeFailed(rejection);
          const connection = get(connId);
          if (!connection || !rejection.requestId || !rejection.error) return;
          log.info(`connect rejected: ${rejection.error.message}`, {
            connId,
            remote: connection.clientIp,
          });
          const refusal = JSON.stringify({
            type: "res",
            id: rejection.requestId,
            ok: false,
            error: rejection.error,
          });
          connection.trace?.outbound(connId, refusal);
          connection.socket.send(refusal);
        },
        closeSocket: (_, { connId, close }) => {
          const connection = get(connId);
          if (connection) connection.closeRequest ??= close;
          const socket = connection?.socket;
          if (socket && socket.readyState < socket.CLOSING) socket.close(close.code, close.reason);
        },
        terminateSocket: onConnection((connection) => connection.socket.terminate()),
        releaseConnection: onConnection((connection) => this.release(connection)),
      },
    });
  }
}
