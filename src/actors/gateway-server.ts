import http from "node:http";
import path from "node:path";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import { AgentRuns } from "../agents/agent-runs.js";
import { startGatewayChannels } from "../channels/gateway-channels.js";
import { diffConfigPaths } from "../config/diff.js";
import type { ConfigSnapshot } from "../config/load.js";
import { chatCompletionsRoute } from "../http/chat-completions.js";
import { gatewayHooksRoute } from "../http/hooks.js";
import { controlUiHandler } from "../http/control-ui.js";
import { responsesRoute } from "../http/responses.js";
import { modelsRoute } from "../http/models.js";
import type { GatewayLogger, SubsystemLogger } from "../log/logger.js";
import type { DrainRequest } from "../machines/gateway.machine.js";
import { Dispatcher } from "../methods/dispatcher.js";
import { coreMethods } from "../methods/method-table.js";
import type { ClientSession } from "../methods/method-spec.js";
import type { GatewayServices } from "../methods/services.js";
import { CloseCodes } from "../protocol/index.js";
import { HealthCache } from "../state/health.js";
import { HeartbeatState } from "../state/heartbeat.js";
import { PresenceTable } from "../state/presence.js";
import { StoreError } from "../store/state-store.js";
import { openCheckedStore, StoreHealth } from "../store/store-health.js";
import { GatewayAccess } from "../transport/access.js";
import type { GatewayAuth } from "../transport/auth.js";
import { broadcastAgentEvent } from "../transport/agent-event-fanout.js";
import { Broadcaster, type BroadcastOptions } from "../transport/broadcaster.js";
import type { ClientConnection } from "../transport/client-connection.js";
import { createHttpRouter, type HttpRoute } from "../transport/http-router.js";
import { formatHostPort, type ListenPlan } from "../transport/net.js";
import { ConnectionRuntime } from "./connection-runtime.js";
import { EventBus, type BroadcastFacts } from "./event-bus.js";
import { computeHealthSummary } from "./health-summary.js";
import { HelloOk } from "./hello-ok.js";
import type { Inspection, InspectTransition } from "./inspection.js";
import { PresenceFeed } from "./presence-feed.js";

const CLOSE_WAIT_MS = 2_000;

/** A socket error during the upgrade (the client went away mid-handshake) ends that socket only. */
function destroySocket(this: Duplex): void {
  this.destroy();
}

const isOperator = (session: ClientSession) => session.role === "operator";
const isAdmin = (session: ClientSession) => session.scopes.includes("operator.admin");
const inspectSubscriber = (session: ClientSession) =>
  session.caps.includes("inspect") && session.scopes.includes("operator.admin");

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
  /** Lifecycle requests methods may make (restart through the supervisor, reload through the controller). */
  control: { restart(reason: string): void; reload(): void };
}

/**
 * One gateway instance: the listeners on one port, the connection registry, the state the methods
 * serve, and the fan-out of bus facts to clients.
 */
export class GatewayServer {
  readonly bus = new EventBus();
  readonly connections = new Map<string, ClientConnection>();
  readonly services: GatewayServices;
  port: number;
  /** The config this gateway runs with; hot reloads replace it. */
  snapshot: ConfigSnapshot;
  private readonly presence: PresenceTable;
  private readonly presenceFeed: PresenceFeed;
  private readonly health: HealthCache;
  private readonly log: SubsystemLogger;
  private readonly httpServers: http.Server[] = [];
  private readonly wss: WebSocketServer;
  private readonly broadcaster: Broadcaster;
  private readonly connectionRuntime: ConnectionRuntime;
  private readonly access: GatewayAccess;
  /** The HTTP API endpoints the config enables. */
  private readonly httpRoutes: HttpRoute[] = [];
  private pendingInspect: InspectTransition[] = [];
  private inspectSubscriberCount = 0;
  private readonly config;

  constructor(private readonly options: GatewayServerOptions) {
    const { snapshot, logger } = options;
    this.snapshot = snapshot;
    this.config = snapshot.config;
    this.port = options.port;
    this.log = logger.child("gateway");
    this.presence = new PresenceTable({ version: options.version });
    this.presenceFeed = new PresenceFeed(this.presence, this.bus);
    this.health = new HealthCache(
      () => computeHealthSummary(this.snapshot.config, this.services),
      (summary) => this.bus.emit("health", summary),
    );
    const startedAt = Date.now();
    this.services = {
      version: options.version,
      startedAt,
      configPath: snapshot.path,
      stateDir: options.stateDir,
      logFile: logger.file,
      authMode: options.auth.mode,
      listen: {
        host: options.listenPlan.host,
        port: this.port,
        aliases: options.listenPlan.aliases,
        bind: options.bind,
      },
      config: () => this.snapshot,
      lifecycleState: options.lifecycleState,
      connectionCount: () => this.connections.size,
      presence: this.presence,
      health: this.health,
      heartbeat: new HeartbeatState((event) => this.bus.emit("heartbeat", event)),
      inspection: options.inspection,
      presenceChanged: () => this.presenceFeed.changed(),
      runs: null,
      publishChat: (payload) => this.bus.emit("chat", payload, { dropIfSlow: false }),
      store: null,
      storeError: null,
      storeHealth: new StoreHealth(path.join(options.stateDir, "state.db")),
      channels: null,
      requestRestart: (reason) => options.control.restart(reason),
      requestReload: () => options.control.reload(),
    };
    const dispatcher = new Dispatcher(coreMethods, this.services, logger.child("rpc"));
    const methods = dispatcher.advertisedMethods();
    this.broadcaster = new Broadcaster(
      this.connections,
      this.config.gateway.maxBufferedBytes,
      (connection) => {
        this.log.warn("closing slow consumer", { connId: connection.connId });
        connection.actor.send({ type: "CLOSE", code: CloseCodes.POLICY_VIOLATION, reason: "slow consumer" });
      },
    );
    const helloOk = new HelloOk({
      ...this.services,
      config: () => this.snapshot.config,
      methods,
      presence: () => this.presenceFeed.published(),
      health: () => ({ version: this.health.version, summary: this.health.current() }),
    });
    this.access = new GatewayAccess(options.auth, this.config, logger.child("auth"));
    this.connectionRuntime = new ConnectionRuntime({
      config: this.config,
      access: this.access,
      lifecycleState: options.lifecycleState,
      connections: this.connections,
      dispatcher,
      inspection: options.inspection,
      log: logger.child("ws"),
      helloOk,
      onJoined: (session) => {
        this.presenceFeed.joined(session);
        if (inspectSubscriber(session)) this.inspectSubscribers(+1);
      },
      onLeft: (session) => {
        this.presenceFeed.left(session);
        if (inspectSubscriber(session)) this.inspectSubscribers(-1);
      },
    });
    // First, as upstream; always present, it claims `hooks.path` only while hooks are enabled (hot reload).
    this.httpRoutes.push(
      gatewayHooksRoute({
        config: () => this.snapshot.config,
        gateway: this.services,
        auth: options.auth,
        access: this.access,
        log: logger.child("hooks"),
        deliver: () => null,
      }),
    );
    const endpoints = this.config.gateway.http.endpoints;
    const agentHttp = { access: this.access, runs: () => this.services.runs, bus: this.bus };
    if (endpoints.chatCompletions.enabled) this.httpRoutes.push(chatCompletionsRoute(agentHttp));
    if (endpoints.responses.enabled) {
      this.httpRoutes.push(responsesRoute(agentHttp, endpoints.responses.maxBodyBytes));
    }
    if (endpoints.chatCompletions.enabled || endpoints.responses.enabled) {
      this.httpRoutes.push(modelsRoute(agentHttp));
    }
    this.wss = new WebSocketServer({ noServer: true, maxPayload: this.config.gateway.maxPayloadBytes });
    this.deliverBusFacts();
  }

  /** The inspection stream is followed only while someone subscribes to it. */
  private inspectSubscribers(delta: number): void {
    this.inspectSubscriberCount += delta;
    if (delta > 0 && this.inspectSubscriberCount === 1)
      this.options.inspection.follow(this.onInspectTransition);
    if (delta < 0 && this.inspectSubscriberCount === 0)
      this.options.inspection.unfollow(this.onInspectTransition);
  }

  /** How each fact reaches clients: who may see it, and whether a slow client may miss it. */
  private deliverBusFacts(): void {
    const fanOut = <K extends keyof BroadcastFacts>(event: K, options: () => BroadcastOptions) =>
      this.bus.on(event, ((payload: unknown) => this.broadcaster.send(event, payload, options())) as never);
    fanOut("presence", () => ({ dropIfSlow: true, stateVersion: this.stateVersion() }));
    fanOut("health", () => ({ stateVersion: this.stateVersion() }));
    fanOut("heartbeat", () => ({ dropIfSlow: true }));
    fanOut("tick", () => ({ dropIfSlow: true }));
    this.bus.on("agent", (payload) => broadcastAgentEvent(this.broadcaster, payload));
    fanOut("inspect", () => ({ dropIfSlow: true, audience: inspectSubscriber }));
    fanOut("shutdown", () => ({}));
    fanOut("reload", () => ({ audience: isAdmin }));
    this.bus.on("chat", (payload, { dropIfSlow }) =>
      this.broadcaster.send("chat", payload, { dropIfSlow, audience: isOperator }),
    );
  }

  private stateVersion() {
    return { presence: this.presence.version, health: this.health.version };
  }

  // ---- listen / close ---------------------------------------------------------------------------

  /** Binds first, then opens the store: clients that connect meanwhile are told to retry (1013), not refused. */
  async listen(): Promise<void> {
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
    this.openStore();
  }

  private listenOn(host: string, port: number, primary: boolean): Promise<number> {
    const server = http.createServer(
      createHttpRouter({
        lifecycleState: this.options.lifecycleState,
        storeProblem: () =>
          this.services.storeHealth.recent(this.services.store, this.services.storeError).problem,
        startedAt: this.services.startedAt,
        routes: this.httpRoutes,
        fallback: this.config.gateway.controlUi.enabled
          ? controlUiHandler(this.config.gateway.controlUi, {
              config: () => this.snapshot.config,
              onError: (error) => this.log.error(`control ui failed: ${String(error)}`),
            })
          : undefined,
        onError: (error) => this.log.error(`http handler failed: ${String(error)}`),
      }),
    );
    server.on("upgrade", (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on("error", destroySocket);
      this.wss.handleUpgrade(request, socket, head, (ws) => {
        // From here ws handles socket errors; a listener left behind would keep the request alive.
        socket.off("error", destroySocket);
        this.connectionRuntime.accept(ws, request);
      });
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
        if (primary) server.on("error", (error) => this.options.onFault(`listener failed: ${error.message}`));
        this.httpServers.push(server);
        const address = server.address();
        resolve(typeof address === "object" && address ? address.port : port);
      });
    });
  }

  /**
   * A database that cannot be opened does not stop the gateway (under a service manager that would be
   * a crash loop): run methods answer UNAVAILABLE with the reason, and health reports it.
   */
  private openStore(): void {
    const file = path.join(this.options.stateDir, "state.db");
    try {
      const store = openCheckedStore(file, this.services.storeHealth, this.log);
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
          agent: (payload) => this.bus.emit("agent", payload),
          chat: (payload, delivery) => this.bus.emit("chat", payload, delivery),
        },
        log: this.options.logger.child("agent"),
        inspect: this.options.inspection.inspect,
      });
      // Channels: started once the store is open; stopped first in close().
      this.services.channels = startGatewayChannels({
        config: this.config,
        store,
        runs: this.services.runs,
        logger: this.options.logger,
        inspect: this.options.inspection.inspect,
      });
    } catch (error) {
      const message = error instanceof StoreError ? error.message : new StoreError(file, error).message;
      this.services.storeError = message;
      this.log.error(message);
    }
  }

  /** A hot reload: the new config replaces the old for everything that reads it per use. */
  applyConfig(snapshot: ConfigSnapshot): void {
    // Channels: a change under channels.<id> restarts that channel's accounts only.
    void this.services.channels?.applyConfig(
      snapshot.config,
      diffConfigPaths(this.snapshot.config, snapshot.config),
    );
    this.snapshot = snapshot;
    this.services.runs?.reconfigure(snapshot.config);
    this.options.logger.setLevel(snapshot.config.logging.level);
    void this.health.refresh().catch(() => undefined);
  }

  get drainTimeoutMs(): number {
    return this.config.gateway.restart.drainTimeoutMs;
  }

  /** Stops new runs and waits for in-flight ones up to the deadline; leftovers end as interrupted. */
  async drainRuns(deadlineMs: number): Promise<void> {
    const runs = this.services.runs;
    if (!runs) return;
    const { finished, interrupted } = await runs.drain(deadlineMs);
    if (finished + interrupted > 0)
      this.log.info(`drained runs: ${finished} finished, ${interrupted} interrupted`);
  }

  /** `shutdown` to every ready client, then close every socket (1012), then the listeners. */
  async close(request: DrainRequest): Promise<void> {
    // Channels: replies in flight are delivered (or time out), then every account stops.
    await this.services.channels?.stop();
    this.presenceFeed.stop();
    this.options.inspection.unfollow(this.onInspectTransition);
    this.bus.emit("shutdown", { reason: request.reason, restartExpectedMs: request.restartExpectedMs });
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
    this.connectionRuntime.stop();
    this.connections.clear();
    this.bus.removeAllListeners();
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
    this.services.runs?.stop();
    this.services.store?.close();
  }

  // ---- background services (owned by the gateway machine's `ready` state) ----------------------

  startServices(): () => void {
    const { tickIntervalMs, healthRefreshMs } = this.config.gateway;
    const tick = setInterval(() => this.bus.emit("tick", { ts: Date.now() }), tickIntervalMs);
    const refreshHealth = () =>
      this.health
        .refresh()
        .catch((error: unknown) => this.log.warn(`health refresh failed: ${String(error)}`));
    const health = setInterval(refreshHealth, healthRefreshMs);
    void refreshHealth();
    return () => {
      clearInterval(tick);
      clearInterval(health);
      this.presenceFeed.stop();
    };
  }

  /** Actor transitions reach clients that asked for them (`caps: ["inspect"]`, admin), batched per turn. */
  private readonly onInspectTransition = (change: InspectTransition): void => {
    if (this.pendingInspect.push(change) > 1) return;
    setImmediate(() => {
      const transitions = this.pendingInspect;
      this.pendingInspect = [];
      this.bus.emit("inspect", { transitions });
    });
  };
}
