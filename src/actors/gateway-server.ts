import path from "node:path";
import { startGatewayChannels } from "../channels/gateway-channels.js";
import { hookDelivery } from "../channels/hook-delivery.js";
import { diffConfigPaths } from "../config/diff.js";
import { DevicePairing } from "../devices/device-pairing.js";
import { DeviceStore } from "../devices/device-store.js";
import type { ConfigSnapshot } from "../config/load.js";
import { chatCompletionsRoute } from "../http/chat-completions.js";
import { controlUiHandler } from "../http/control-ui.js";
import { gatewayHooksRoute } from "../http/hooks.js";
import { metricsRoute } from "../http/metrics.js";
import { modelsRoute } from "../http/models.js";
import { responsesRoute } from "../http/responses.js";
import { ActivityLog } from "../log/activity-log.js";
import type { GatewayLogger, SubsystemLogger } from "../log/logger.js";
import type { DrainRequest } from "../machines/gateway.machine.js";
import { Dispatcher } from "../methods/dispatcher.js";
import { coreMethods } from "../methods/method-table.js";
import type { GatewayServices } from "../methods/services.js";
import type { GatewayMetrics } from "../metrics/gateway-metrics.js";
import { CloseCodes } from "../protocol/index.js";
import { HealthCache } from "../state/health.js";
import { HeartbeatState } from "../state/heartbeat.js";
import { PresenceTable } from "../state/presence.js";
import { StoreHealth } from "../store/store-health.js";
import { GatewayAccess } from "../transport/access.js";
import type { GatewayAuth } from "../transport/auth.js";
import { Broadcaster } from "../transport/broadcaster.js";
import type { ClientConnection } from "../transport/client-connection.js";
import type { HttpRoute } from "../transport/http-router.js";
import type { ListenPlan } from "../transport/net.js";
import { loadGatewayTls, type GatewayTlsMaterial } from "../transport/gateway-tls.js";
import { resolveTlsFiles } from "../config/tls-files.js";
import { fanOutBusFacts, InspectFeed } from "./bus-fan-out.js";
import { ConnectionRuntime } from "./connection-runtime.js";
import { EventBus } from "./event-bus.js";
import { GatewayListener } from "./gateway-listener.js";
import { computeHealthSummary } from "../methods/health-summary.js";
import { HelloOk } from "./hello-ok.js";
import type { Inspection } from "./inspection.js";
import { feedMetrics } from "./metrics-feed.js";
import { PresenceFeed } from "./presence-feed.js";
import type { RunningConfig } from "./running-config.js";
import { startGatewayStore } from "./store-startup.js";

export interface GatewayServerOptions {
  /** The running config, shared with the reload controller and the next restart. */
  runningConfig: RunningConfig;
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
  /** Set while `gateway.metrics.enabled`: outlives this instance (counters go on across restarts). */
  metrics?: GatewayMetrics | null;
}

/**
 * One gateway instance: the listener on one port, the connection registry, the state the methods
 * serve, and the fan-out of bus facts to clients.
 */
export class GatewayServer {
  readonly bus = new EventBus();
  readonly connections = new Map<string, ClientConnection>();
  readonly services: GatewayServices;
  port: number;
  private readonly presence: PresenceTable;
  private readonly presenceFeed: PresenceFeed;
  private readonly inspectFeed: InspectFeed;
  private readonly health: HealthCache;
  private readonly log: SubsystemLogger;
  private readonly listener: GatewayListener;
  private readonly connectionRuntime: ConnectionRuntime;
  private readonly access: GatewayAccess;
  /** The HTTP API endpoints the config enables. */
  private readonly httpRoutes: HttpRoute[] = [];

  constructor(private readonly options: GatewayServerOptions) {
    const { logger } = options;
    // Everything read here is restart-class (gateway.*): a hot reload cannot change it under us.
    const config = this.snapshot.config;
    this.port = options.port;
    this.log = logger.child("gateway");
    this.presence = new PresenceTable({ version: options.version });
    this.presenceFeed = new PresenceFeed(this.presence, this.bus, () => this.connections.size);
    this.inspectFeed = new InspectFeed(options.inspection, this.bus);
    this.health = new HealthCache(
      () => computeHealthSummary(this.snapshot.config, this.services),
      (summary) => this.bus.emit("health", summary),
    );
    const startedAt = Date.now();
    this.services = {
      version: options.version,
      startedAt,
      configPath: this.snapshot.path,
      stateDir: options.stateDir,
      logFile: logger.file,
      authMode: options.auth.mode,
      listen: {
        host: options.listenPlan.host,
        port: this.port,
        aliases: options.listenPlan.aliases,
        bind: options.bind,
        tlsFingerprint: null,
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
      devices: null,
      channels: null,
      requestRestart: (reason) => options.control.restart(reason),
      requestReload: () => options.control.reload(),
    };
    const metrics = options.metrics ?? null;
    const activity = new ActivityLog(logger, (runId) => this.services.store?.getRun(runId) ?? null);
    this.bus.on("agent", (payload) => activity.agentEvent(payload));
    const dispatcher = new Dispatcher(coreMethods, this.services, logger.child("rpc"), [
      activity.rpcObserver,
      ...(metrics ? [metrics.rpcObserver] : []),
    ]);
    const broadcaster = new Broadcaster(
      this.connections,
      config.gateway.maxBufferedBytes,
      (connection) => {
        this.log.warn("closing slow consumer", { connId: connection.connId });
        metrics?.slowConsumerClosed("events");
        connection.actor.send({ type: "CLOSE", code: CloseCodes.POLICY_VIOLATION, reason: "slow consumer" });
      },
      metrics?.eventFannedOut,
    );
    const helloOk = new HelloOk({
      ...this.services,
      config: () => this.snapshot.config,
      methods: dispatcher.advertisedMethods(),
      presence: () => this.presenceFeed.published(),
      health: () => ({ version: this.health.version, summary: this.health.current() }),
    });
    this.access = new GatewayAccess(options.auth, config, logger.child("auth"));
    this.connectionRuntime = new ConnectionRuntime({
      config,
      access: this.access,
      lifecycleState: options.lifecycleState,
      connections: this.connections,
      dispatcher,
      inspection: options.inspection,
      log: logger.child("ws"),
      helloOk,
      metrics,
      devices: () => this.services.devices,
      activity,
      onJoined: (session) => {
        activity.connected(session);
        broadcaster.joined(session);
        this.presenceFeed.joined(session);
        this.inspectFeed.joined(session);
      },
      onLeft: (session) => {
        broadcaster.left(session);
        this.presenceFeed.left(session);
        this.inspectFeed.left(session);
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
        deliver: () => {
          const { channels, store } = this.services;
          return channels && store ? hookDelivery(channels, store) : null;
        },
      }),
    );
    const endpoints = config.gateway.http.endpoints;
    const agentHttp = { access: this.access, runs: () => this.services.runs, bus: this.bus };
    if (endpoints.chatCompletions.enabled) this.httpRoutes.push(chatCompletionsRoute(agentHttp));
    if (endpoints.responses.enabled) {
      this.httpRoutes.push(responsesRoute(agentHttp, endpoints.responses.maxBodyBytes));
    }
    if (endpoints.chatCompletions.enabled || endpoints.responses.enabled) {
      this.httpRoutes.push(modelsRoute(agentHttp));
    }
    if (metrics) {
      const onError = (error: unknown) => this.log.error(`metrics collection failed: ${String(error)}`);
      this.httpRoutes.push(
        metricsRoute({ access: this.access, metrics, path: config.gateway.metrics.path, onError }),
      );
      const methods = dispatcher.specs().map((spec) => spec.name);
      feedMetrics(metrics, {
        bus: this.bus,
        connections: this.connections,
        methods,
        services: this.services,
      });
    }
    this.listener = new GatewayListener({
      listenPlan: options.listenPlan,
      maxPayloadBytes: config.gateway.maxPayloadBytes,
      http: {
        lifecycleState: options.lifecycleState,
        storeProblem: () =>
          this.services.storeHealth.recent(this.services.store, this.services.storeError).problem,
        startedAt,
        routes: this.httpRoutes,
        fallback: config.gateway.controlUi.enabled
          ? controlUiHandler(config.gateway.controlUi, {
              config: () => this.snapshot.config,
              onError: (error) => this.log.error(`control ui failed: ${String(error)}`),
            })
          : undefined,
        onError: (error) => this.log.error(`http handler failed: ${String(error)}`),
      },
      onConnection: (ws, request) => this.connectionRuntime.accept(ws, request),
      onFault: options.onFault,
      log: this.log,
    });
    fanOutBusFacts(this.bus, broadcaster, () => ({
      presence: this.presence.version,
      health: this.health.version,
    }));
  }

  /** The config this gateway runs with (the running config's one copy). */
  get snapshot(): ConfigSnapshot {
    return this.options.runningConfig.snapshot;
  }

  /** The hosts the listener actually bound. */
  get addresses(): readonly string[] {
    return this.listener.addresses;
  }

  /** Binds first, then opens the store: clients that connect meanwhile are told to retry (1013), not refused. */
  async listen(): Promise<void> {
    const tls = await this.loadTls();
    this.port = await this.listener.listen(this.port, tls ?? undefined);
    this.services.listen.port = this.port;
    this.log.info(`log file: ${this.options.logger.file}`);
    const opened = startGatewayStore({
      stateDir: this.options.stateDir,
      config: this.snapshot.config,
      bus: this.bus,
      logger: this.options.logger,
      inspection: this.options.inspection,
      gatewayPort: this.port,
      storeHealth: this.services.storeHealth,
    });
    this.services.store = opened.store;
    this.services.runs = opened.runs;
    this.services.storeError = opened.error;
    if (opened.store) {
      this.services.devices = new DevicePairing(new DeviceStore(opened.store.database), {
        requested: (request) => this.bus.emit("device.pair.requested", request),
        resolved: (resolved) => this.bus.emit("device.pair.resolved", resolved),
        revoked: (deviceId, role) => this.closeDeviceSessions(deviceId, role),
      });
      // Channels: started once the store is open; stopped first in close().
      this.services.channels = startGatewayChannels({
        config: this.snapshot.config,
        store: opened.store,
        runs: opened.runs,
        logger: this.options.logger,
        inspect: this.options.inspection.inspect,
      });
    }
  }

  /**
   * A revoked token or removed device takes its live token-authenticated connections with it, on the
   * next turn: a device that removed itself first receives the reply to its request.
   */
  private closeDeviceSessions(deviceId: string, role: string | null): void {
    setImmediate(() => {
      for (const connection of this.connections.values()) {
        const session = connection.session;
        if (session?.deviceId !== deviceId || session.authMethod !== "device-token") continue;
        if (role !== null && session.role !== role) continue;
        connection.actor.send({
          type: "CLOSE",
          code: CloseCodes.POLICY_VIOLATION,
          reason: role === null ? "device removed" : "device token revoked",
        });
      }
    });
  }

  /** `gateway.tls`: the configured or generated certificate, its fingerprint logged for clients to pin. */
  private async loadTls(): Promise<GatewayTlsMaterial | null> {
    const { config, path: configPath } = this.snapshot;
    const files = resolveTlsFiles(config, configPath, this.options.stateDir);
    if (!files) return null;
    const material = await loadGatewayTls(files, config.gateway.tls.autoGenerate);
    const where =
      material.origin === "configured"
        ? `from ${material.files.certPath}`
        : `${material.origin === "generated" ? "generated self-signed in" : "self-signed, reused from"} ${material.files.certPath}`;
    this.log.info(`tls: certificate ${where}`);
    this.log.info(`tls: SHA-256 fingerprint ${material.fingerprint}`);
    this.services.listen.tlsFingerprint = material.fingerprint;
    return material;
  }

  /** A hot reload: the new config replaces the running one for everything that reads it per use. */
  applyConfig(snapshot: ConfigSnapshot): void {
    // Channels: a change under channels.<id> restarts that channel's accounts only.
    void this.services.channels?.applyConfig(
      snapshot.config,
      diffConfigPaths(this.snapshot.config, snapshot.config),
    );
    this.options.runningConfig.replace(snapshot);
    this.services.runs?.reconfigure(snapshot.config);
    this.options.logger.setLevel(snapshot.config.logging.level);
    void this.health.refresh().catch(() => undefined);
  }

  /** Stops new runs and waits for in-flight ones up to the deadline; leftovers end as interrupted. */
  async drainRuns(deadlineMs: number): Promise<void> {
    const runs = this.services.runs;
    if (!runs) return;
    const { finished, interrupted } = await runs.drain(deadlineMs);
    if (finished + interrupted > 0)
      this.log.info(`drained runs: ${finished} finished, ${interrupted} interrupted`);
  }

  /**
   * `shutdown` to every ready client, then close every socket (1012) and wait up to `closeWaitMs` for
   * the peers, then the listeners.
   */
  async close(request: DrainRequest, closeWaitMs: number): Promise<void> {
    // Channels: replies in flight are delivered (or time out), then every account stops.
    await this.services.channels?.stop();
    this.presenceFeed.stop();
    this.inspectFeed.stop();
    this.bus.emit("shutdown", { reason: request.reason, restartExpectedMs: request.restartExpectedMs });
    const closed = [...this.connections.values()].map(
      (connection) =>
        new Promise<void>((resolve) => {
          connection.actor.subscribe({ complete: resolve });
          if (connection.actor.getSnapshot().status !== "active") resolve();
          connection.actor.send({ type: "CLOSE", code: CloseCodes.SERVICE_RESTART, reason: request.reason });
        }),
    );
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(closed),
      new Promise((resolve) => (timer = setTimeout(resolve, closeWaitMs))),
    ]);
    clearTimeout(timer);
    this.connectionRuntime.stop();
    this.options.metrics?.attach(null);
    this.connections.clear();
    this.bus.removeAllListeners();
    await this.listener.close();
    this.services.runs?.stop();
    this.services.store?.close();
  }

  // ---- background services (owned by the gateway machine's `ready` state) ----------------------

  /** `onTick` runs before each tick is sent (the fault-injection point of a test). */
  startServices(onTick: () => void = () => {}): () => void {
    const { tickIntervalMs, healthRefreshMs } = this.snapshot.config.gateway;
    const tick = setInterval(() => {
      onTick();
      this.bus.emit("tick", { ts: Date.now() });
    }, tickIntervalMs);
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
}
