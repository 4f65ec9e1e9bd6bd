import { randomUUID } from "node:crypto";
import http from "node:http";
import os from "node:os";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import { createActor, fromCallback, fromPromise } from "xstate";
import type { ConfigSnapshot } from "../config/load.js";
import type { GatewayLogger, SubsystemLogger } from "../log/logger.js";
import {
  connectionMachine,
  type ConnectionEvent,
  type HandshakeRejection,
} from "../machines/connection.machine.js";
import type { DrainRequest } from "../machines/gateway.machine.js";
import { Dispatcher } from "../methods/dispatcher.js";
import { coreMethods } from "../methods/method-table.js";
import type { ClientSession } from "../methods/method-spec.js";
import type { GatewayServices } from "../methods/services.js";
import {
  CloseCodes,
  ErrorCodes,
  GATEWAY_EVENTS,
  PROTOCOL_VERSION,
  validateRequestFrame,
} from "../protocol/index.js";
import { HealthCache } from "../state/health.js";
import { HeartbeatState } from "../state/heartbeat.js";
import { PresenceTable } from "../state/presence.js";
import type { GatewayAuth } from "../transport/auth.js";
import { ClientConnection } from "../transport/client-connection.js";
import { createHttpRouter } from "../transport/http-router.js";
import { formatHostPort, type ListenPlan } from "../transport/net.js";
import path from "node:path";
import { AgentRuns } from "../agents/agent-runs.js";
import type { AgentEventPayload, ChatEventPayload } from "../agents/run-events.js";
import { StateStore, StoreError } from "../store/state-store.js";
import { EventBus } from "./event-bus.js";
import { authenticateConnect, type HandshakeInput } from "./handshake.js";
import type { Inspection, InspectTransition } from "./inspection.js";
import { computeHealthSummary } from "./health-summary.js";

const isOperator = (session: ClientSession) => session.role === "operator";

/** Frames before hello-ok are capped far below maxPayload, so an unauthenticated peer cannot make us buffer much. */
export const PRE_HELLO_MAX_PAYLOAD = 64 * 1024;
const PRESENCE_BROADCAST_INTERVAL_MS = 250;
const CLOSE_WAIT_MS = 2_000;

export interface GatewayServerOptions {
  snapshot: ConfigSnapshot;
  auth: GatewayAuth;
  port: number;
  bind: string;
  listenPlan: ListenPlan;
  stateDir: string;
  version: string;
  logger: GatewayLogger;
  inspection: Inspection;
  lifecycleState: () => string;
  /** A fault after start (the listener died); the gateway machine decides what happens next. */
  onFault: (error: string) => void;
}

interface BroadcastOptions {
  dropIfSlow?: boolean;
  withStateVersion?: boolean;
  /** Only connections this returns true for receive (and count) the event. */
  audience?: (session: ClientSession) => boolean;
}

/** One gateway instance: the listeners on one port, the connection registry, broadcast and background services. */
export class GatewayServer {
  readonly bus = new EventBus();
  readonly presence: PresenceTable;
  readonly health: HealthCache;
  readonly heartbeat: HeartbeatState;
  readonly connections = new Map<string, ClientConnection>();
  readonly services: GatewayServices;
  readonly startedAt = Date.now();
  port: number;
  private readonly log: SubsystemLogger;
  private readonly wsLog: SubsystemLogger;
  private readonly httpServers: http.Server[] = [];
  private readonly wss: WebSocketServer;
  private readonly dispatcher: Dispatcher;
  private readonly connectionLogic;
  private presenceTimer: NodeJS.Timeout | null = null;
  private lastPresenceBroadcast = 0;
  private pendingInspect: InspectTransition[] = [];
  private readonly config;

  constructor(private readonly options: GatewayServerOptions) {
    this.config = options.snapshot.config;
    this.port = options.port;
    this.log = options.logger.child("gateway");
    this.wsLog = options.logger.child("ws");
    this.presence = new PresenceTable({ version: options.version });
    this.heartbeat = new HeartbeatState((event) => this.broadcast("heartbeat", event, { dropIfSlow: true }));
    this.health = new HealthCache(
      () => computeHealthSummary(this.options.snapshot.config, this.services),
      (summary) => this.broadcast("health", summary, { withStateVersion: true }),
    );
    this.services = {
      version: options.version,
      startedAt: this.startedAt,
      configPath: options.snapshot.path,
      stateDir: options.stateDir,
      logFile: options.logger.file,
      authMode: options.auth.mode,
      listen: {
        host: options.listenPlan.host,
        port: this.port,
        aliases: options.listenPlan.aliases,
        bind: options.bind,
      },
      config: () => this.options.snapshot,
      lifecycleState: options.lifecycleState,
      connectionCount: () => this.connections.size,
      presence: this.presence,
      health: this.health,
      heartbeat: this.heartbeat,
      inspection: options.inspection,
      presenceChanged: () => this.schedulePresenceBroadcast(),
      runs: null,
      publishChat: (payload) => this.broadcast("chat", payload, { audience: isOperator }),
      store: null,
      storeError: null,
    };
    this.dispatcher = new Dispatcher(coreMethods, this.services, this.options.logger.child("rpc"));
    this.wss = new WebSocketServer({ noServer: true, maxPayload: this.config.gateway.maxPayloadBytes });
    this.connectionLogic = this.provideConnectionMachine();
    options.inspection.on("transition", this.onInspectTransition);
  }

  // ---- listen / close -------------------------------------------------------------------------

  async listen(): Promise<void> {
    this.openStore();
    const { host, aliases } = this.options.listenPlan;
    this.port = await this.listenOn(host, this.port, true);
    this.services.listen.port = this.port;
    process.env.CODERCLAW_GATEWAY_PORT = String(this.port);
    this.log.info(`listening on ws://${formatHostPort(host, this.port)} (PID ${process.pid})`);
    for (const alias of aliases) {
      try {
        await this.listenOn(alias, this.port, false);
        this.log.info(`listening on ws://${formatHostPort(alias, this.port)}`);
      } catch (error) {
        this.log.warn(
          `gateway: failed to bind loopback alias ${formatHostPort(alias, this.port)} (${String(error)})`,
        );
      }
    }
    this.log.info(`log file: ${this.options.logger.file}`);
  }

  private listenOn(host: string, port: number, primary: boolean): Promise<number> {
    const server = http.createServer(createHttpRouter({ lifecycleState: this.options.lifecycleState }));
    server.on("upgrade", (request, socket, head) => {
      socket.on("error", () => socket.destroy());
      this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws, request));
    });
    return new Promise((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => {
        server.close();
        const url = `ws://${formatHostPort(host, port)}`;
        reject(
          new Error(
            error.code === "EADDRINUSE"
              ? `another gateway instance is already listening on ${url}`
              : `failed to bind gateway socket on ${url}: ${error.message}`,
          ),
        );
      };
      server.once("error", onError);
      server.listen({ host, port, exclusive: true }, () => {
        server.off("error", onError);
        if (primary) {
          server.on("error", (error) => this.options.onFault(`listener failed: ${error.message}`));
        }
        this.httpServers.push(server);
        const address = server.address();
        resolve(typeof address === "object" && address ? address.port : port);
      });
    });
  }

  /**
   * A database that cannot be opened does not stop the gateway (under a service manager that would be a
   * crash loop): run methods answer UNAVAILABLE with the reason, and health reports it.
   */
  private openStore(): void {
    const file = path.join(this.options.stateDir, "state.db");
    try {
      const store = StateStore.open(file);
      const interrupted = store.interruptUnfinished(Date.now());
      if (interrupted.length > 0) {
        this.log.warn(
          `marked ${interrupted.length} unfinished run(s) from the previous process as interrupted`,
        );
      }
      this.services.store = store;
      this.services.runs = new AgentRuns({
        config: this.config,
        store,
        events: {
          agent: (payload: AgentEventPayload) => this.broadcast("agent", payload, { audience: isOperator }),
          chat: (payload: ChatEventPayload, { dropIfSlow }) =>
            this.broadcast("chat", payload, { dropIfSlow, audience: isOperator }),
        },
        log: this.options.logger.child("agent"),
        inspect: this.options.inspection.inspect,
      });
    } catch (error) {
      const message = error instanceof StoreError ? error.message : new StoreError(file, error).message;
      this.services.storeError = message;
      this.log.error(message);
    }
  }

  get drainTimeoutMs(): number {
    return this.config.gateway.restart.drainTimeoutMs;
  }

  /** Stops new runs and waits for in-flight ones up to the deadline; leftovers end as interrupted. */
  async drainRuns(deadlineMs: number): Promise<void> {
    const runs = this.services.runs;
    if (!runs) return;
    const { finished, interrupted } = await runs.drain(deadlineMs);
    if (finished + interrupted > 0) {
      this.log.info(`drained runs: ${finished} finished, ${interrupted} interrupted`);
    }
  }

  /** `shutdown` to every ready client, then close every socket (1012), then the listeners. */
  async close(request: DrainRequest): Promise<void> {
    this.stopPresenceTimer();
    this.options.inspection.off("transition", this.onInspectTransition);
    this.broadcast("shutdown", { reason: request.reason, restartExpectedMs: request.restartExpectedMs });
    const closed = [...this.connections.values()].map(
      (connection) =>
        new Promise<void>((resolve) => {
          connection.actor.subscribe({ complete: resolve });
          if (connection.actor.getSnapshot().status !== "active") resolve();
          connection.actor.send({ type: "CLOSE", code: CloseCodes.SERVICE_RESTART, reason: request.reason });
        }),
    );
    await Promise.race([
      Promise.all(closed),
      new Promise((resolve) => setTimeout(resolve, CLOSE_WAIT_MS).unref()),
    ]);
    for (const connection of this.connections.values()) connection.actor.stop();
    this.connections.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await Promise.all(
      this.httpServers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      ),
    );
    this.httpServers.length = 0;
    this.services.store?.close();
  }

  // ---- background services (owned by the gateway machine's `ready` state) ---------------------

  startServices(): () => void {
    const { tickIntervalMs, healthRefreshMs } = this.config.gateway;
    const tick = setInterval(
      () => this.broadcast("tick", { ts: Date.now() }, { dropIfSlow: true }),
      tickIntervalMs,
    );
    const refreshHealth = () =>
      this.health
        .refresh()
        .catch((error: unknown) => this.log.warn(`health refresh failed: ${String(error)}`));
    const health = setInterval(refreshHealth, healthRefreshMs);
    void refreshHealth();
    return () => {
      clearInterval(tick);
      clearInterval(health);
      this.stopPresenceTimer();
    };
  }

  // ---- connections ------------------------------------------------------------------------------

  private accept(socket: WebSocket, request: http.IncomingMessage): void {
    const connId = randomUUID();
    const connection = new ClientConnection(connId, socket, request);
    this.setReceiveLimit(socket, PRE_HELLO_MAX_PAYLOAD);
    // Without an error listener, a frame over maxPayload would crash the process.
    socket.on("error", (error) => this.wsLog.debug("socket error", { connId, error: error.message }));
    socket.on("pong", () => {
      connection.missedPongs = 0;
    });
    socket.on("message", (data, isBinary) => this.onMessage(connection, data, isBinary));
    socket.on("close", (code) => connection.actor.send({ type: "SOCKET_CLOSED", code }));
    this.connections.set(connId, connection);
    connection.actor = createActor(this.connectionLogic, {
      id: `connection:${connId}`,
      input: { connId },
      inspect: this.options.inspection.inspect,
    });
    connection.actor.start();
    this.wsLog.debug("connection opened", { connId, remote: connection.remoteAddress });
  }

  /** ws has no per-socket maxPayload; its receiver reads this field on every frame header. */
  private setReceiveLimit(socket: WebSocket, bytes: number): void {
    const receiver = (socket as unknown as { _receiver?: { _maxPayload: number } })._receiver;
    if (receiver) receiver._maxPayload = bytes;
  }

  private onMessage(connection: ClientConnection, data: RawData, isBinary: boolean): void {
    const text = isBinary ? "" : data.toString();
    if (connection.session !== null && connection.ready) {
      this.dispatcher.handle(connection.session, text, (frame) => connection.socket.send(frame));
      return;
    }
    if (!connection.actor.getSnapshot().matches({ handshake: "awaiting-connect" })) return;
    connection.actor.send(this.classifyFirstFrame(text));
  }

  /** REFERENCE §5.2 item 3: what the first frame must be, and what happens when it is not. */
  private classifyFirstFrame(text: string): ConnectionEvent {
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      return { type: "HANDSHAKE_REJECTED", code: CloseCodes.NORMAL, reason: "" };
    }
    const checked = validateRequestFrame(frame);
    if (!checked.ok) {
      return {
        type: "HANDSHAKE_REJECTED",
        code: CloseCodes.POLICY_VIOLATION,
        reason: "invalid request frame",
      };
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

  private provideConnectionMachine() {
    const gateway = this.config.gateway;
    const get = (connId: string) => this.connections.get(connId);
    return connectionMachine.provide({
      delays: { handshakeTimeout: gateway.handshakeTimeoutMs },
      actors: {
        authenticate: fromPromise(async ({ input }) => {
          const connection = get(input.connId);
          if (!connection) throw { code: CloseCodes.NORMAL, reason: "" } satisfies HandshakeRejection;
          const handshake: HandshakeInput = {
            ...input,
            nonce: connection.nonce,
            request: connection.request,
          };
          return authenticateConnect(handshake, {
            auth: this.options.auth,
            allowedOrigins: gateway.controlUi.allowedOrigins,
          });
        }),
        keepalive: fromCallback<ConnectionEvent, { connId: string }>(({ input, sendBack }) => {
          const timer = setInterval(() => {
            const connection = get(input.connId);
            if (!connection) return;
            if (connection.missedPongs >= 2) {
              sendBack({ type: "PEER_UNRESPONSIVE" });
              return;
            }
            connection.missedPongs += 1;
            connection.socket.ping();
          }, gateway.tickIntervalMs);
          return () => clearInterval(timer);
        }),
      },
      actions: {
        sendChallenge: (_, { connId }) => {
          const connection = get(connId);
          if (!connection) return;
          connection.nonce = randomUUID();
          const challenge = {
            type: "event",
            event: "connect.challenge",
            payload: { nonce: connection.nonce, ts: Date.now() },
          };
          connection.socket.send(JSON.stringify(challenge));
        },
        sendHelloOk: (_, { connId, requestId, session }) => {
          const connection = get(connId);
          if (!connection) return;
          connection.session = session as ClientSession;
          this.setReceiveLimit(connection.socket, gateway.maxPayloadBytes);
          connection.socket.send(
            JSON.stringify({
              type: "res",
              id: requestId,
              ok: true,
              payload: this.helloOk(connection.session),
            }),
          );
          this.onClientJoined(connection.session);
        },
        sendRejection: (_, { connId, rejection }) => {
          const connection = get(connId);
          if (!connection || !rejection.requestId || !rejection.error) return;
          this.wsLog.info(`connect rejected: ${rejection.error.message}`, {
            connId,
            remote: connection.remoteAddress,
          });
          connection.socket.send(
            JSON.stringify({ type: "res", id: rejection.requestId, ok: false, error: rejection.error }),
          );
        },
        closeSocket: (_, { connId, close }) => {
          const socket = get(connId)?.socket;
          if (socket && socket.readyState < socket.CLOSING) socket.close(close.code, close.reason);
        },
        terminateSocket: (_, { connId }) => get(connId)?.socket.terminate(),
        releaseConnection: (_, { connId }) => {
          const connection = get(connId);
          if (!connection) return;
          this.connections.delete(connId);
          connection.socket.terminate();
          if (connection.session) this.onClientLeft(connection.session);
          this.wsLog.debug("connection closed", { connId });
        },
      },
    });
  }

  private helloOk(session: ClientSession) {
    const config = this.options.snapshot.config;
    const defaultAgent = config.agents.list.find((agent) => agent.default) ?? config.agents.list[0];
    const defaultAgentId = defaultAgent?.id ?? "main";
    return {
      type: "hello-ok",
      protocol: PROTOCOL_VERSION,
      server: { version: this.options.version, host: os.hostname(), connId: session.connId },
      features: { methods: this.dispatcher.advertisedMethods(), events: [...GATEWAY_EVENTS] },
      snapshot: {
        presence: this.presence.list(),
        health: this.health.current(),
        stateVersion: this.stateVersion(),
        uptimeMs: Date.now() - this.startedAt,
        configPath: this.options.snapshot.path,
        stateDir: this.options.stateDir,
        sessionDefaults: {
          defaultAgentId,
          mainKey: config.session.mainKey,
          mainSessionKey: `agent:${defaultAgentId}:${config.session.mainKey}`,
          scope: config.session.scope,
        },
        authMode: this.options.auth.mode,
      },
      policy: {
        maxPayload: config.gateway.maxPayloadBytes,
        maxBufferedBytes: config.gateway.maxBufferedBytes,
        tickIntervalMs: config.gateway.tickIntervalMs,
      },
    };
  }

  private presenceKey(session: ClientSession): string {
    return session.deviceId ?? session.client.instanceId ?? session.connId;
  }

  private isCli(session: ClientSession): boolean {
    return session.client.mode === "cli" || session.client.id === "cli" || session.client.mode === "probe";
  }

  private onClientJoined(session: ClientSession): void {
    this.wsLog.info(`client connected: ${session.client.id} (${session.client.mode})`, {
      connId: session.connId,
    });
    if (!this.isCli(session)) {
      this.presence.upsert(this.presenceKey(session), {
        host: session.client.displayName ?? session.client.id,
        ip: session.remoteAddress,
        version: session.client.version,
        platform: session.client.platform,
        mode: session.client.mode,
        reason: "connect",
        instanceId: session.client.instanceId,
        deviceId: session.deviceId ?? undefined,
        roles: [session.role],
        scopes: session.scopes,
      });
      this.schedulePresenceBroadcast();
    }
  }

  private onClientLeft(session: ClientSession): void {
    if (!this.isCli(session) && this.presence.markDisconnected(this.presenceKey(session))) {
      this.schedulePresenceBroadcast();
    }
  }

  // ---- broadcast --------------------------------------------------------------------------------

  private stateVersion() {
    return { presence: this.presence.version, health: this.health.version };
  }

  /**
   * Sends one event to every ready connection it is meant for. The frame is serialized once; only
   * the per-connection `seq` differs. A dropped event still advances that connection's seq.
   */
  broadcast(event: string, payload: unknown, options: BroadcastOptions = {}): void {
    if (this.connections.size === 0) return;
    const stateVersion = options.withStateVersion
      ? `,"stateVersion":${JSON.stringify(this.stateVersion())}`
      : "";
    const head = `{"type":"event","event":${JSON.stringify(event)},"payload":${JSON.stringify(payload)}${stateVersion},"seq":`;
    const maxBuffered = this.config.gateway.maxBufferedBytes;
    for (const connection of this.connections.values()) {
      const session = connection.session;
      if (session === null || !connection.ready) continue;
      if (options.audience && !options.audience(session)) continue;
      connection.seq += 1;
      if (connection.socket.bufferedAmount > maxBuffered) {
        if (options.dropIfSlow) continue;
        this.wsLog.warn("closing slow consumer", { connId: connection.connId });
        connection.actor.send({ type: "CLOSE", code: CloseCodes.POLICY_VIOLATION, reason: "slow consumer" });
        continue;
      }
      connection.socket.send(`${head}${connection.seq}}`);
    }
  }

  private schedulePresenceBroadcast(): void {
    if (this.presenceTimer) return;
    const wait = Math.max(0, this.lastPresenceBroadcast + PRESENCE_BROADCAST_INTERVAL_MS - Date.now());
    this.presenceTimer = setTimeout(() => {
      this.presenceTimer = null;
      this.lastPresenceBroadcast = Date.now();
      this.broadcast(
        "presence",
        { presence: this.presence.list() },
        { dropIfSlow: true, withStateVersion: true },
      );
    }, wait);
  }

  private stopPresenceTimer(): void {
    if (this.presenceTimer) clearTimeout(this.presenceTimer);
    this.presenceTimer = null;
  }

  /** Actor transitions reach clients that asked for them (`caps: ["inspect"]`, admin), batched per turn. */
  private readonly onInspectTransition = (change: InspectTransition): void => {
    if (this.pendingInspect.push(change) > 1) return;
    setImmediate(() => {
      const batch = this.pendingInspect;
      this.pendingInspect = [];
      this.broadcast(
        "inspect",
        { transitions: batch },
        {
          dropIfSlow: true,
          audience: (s) => s.caps.includes("inspect") && s.scopes.includes("operator.admin"),
        },
      );
    });
  };
}
