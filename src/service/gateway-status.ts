import type { ConfigIssue } from "../config/config-issue.js";
import { readConfigSnapshot, type ConfigSnapshot } from "../config/load.js";
import { resolveConfigPath, type Env } from "../config/paths.js";
import { readInstanceLock } from "../host/instance-lock.js";
import { resolvePort } from "../host/launch.js";
import { normalizeBasePath } from "../http/control-ui.js";
import { findPortListeners, isPortFree } from "../host/port-owner.js";
import { scanGatewayLikeServices, serviceScanDirs, type ExtraService } from "./extra-services.js";
import { pidAlive, probeReadyz, recentLogErrors } from "./readiness.js";
import { probeGatewayRpc } from "./rpc-probe.js";
import { pinFor } from "../client/local-tls.js";
import { auditService, type ServiceAudit } from "./service-audit.js";
import { safeServiceEnvironment } from "./service-env.js";
import { loadServiceContext } from "./service-context.js";
import { listenerView, unitCredentials } from "./listener-view.js";
import { explainAuthFailure } from "../client/auth-failure.js";
import { resolveCliTarget } from "../client/cli-target.js";
import { readRuntimeRecord } from "../host/runtime-record.js";
import type { ServiceManager, ServiceRuntime } from "./service-manager.js";

export interface ConfigSummary {
  path: string;
  exists: boolean;
  valid: boolean;
  issues?: ConfigIssue[];
  controlUi?: { enabled: boolean; basePath: string };
}

/** A runtime as `gateway status` reports it; `starting`/`stopping` come from the gateway's own state. */
export interface RuntimeStatus extends Omit<ServiceRuntime, "status"> {
  status: "running" | "starting" | "stopping" | "stopped" | "unknown";
}

export interface PortStatus {
  port: number;
  status: "free" | "busy" | "unknown";
  listeners: Array<{ pid?: number; user?: string; command?: string; address?: string }>;
  hints: string[];
}

/** REFERENCE §1.8 `DaemonStatus`; service environments are filtered to keys that carry no secret. */
export interface GatewayStatus {
  service: {
    label: string;
    loaded: boolean;
    loadedText: string;
    notLoadedText: string;
    command: {
      programArguments: string[];
      workingDirectory?: string;
      environment?: Record<string, string>;
      sourcePath?: string;
    } | null;
    runtime: RuntimeStatus;
    configAudit: ServiceAudit;
  };
  config: { cli: ConfigSummary; daemon: ConfigSummary; mismatch?: true };
  gateway: {
    bindMode: string;
    bindHost: string;
    customBindHost?: string;
    port: number;
    /** `running gateway pid N` (its runtime record), `cli --port`, `service args`, `env …`, `config gateway.port`, `default`. */
    portSource: string;
    probeUrl: string;
    probeNote?: string;
    /** `gateway.tls`: the certificate clients pin; fingerprint null until the first start generated it. */
    tls: { enabled: boolean; fingerprint: string | null; certPath: string | null };
    /** The running gateway's auth mode and where its secret came from (its runtime record; never the secret). */
    auth?: { mode: string; source: string | null };
  };
  port?: PortStatus;
  portCli?: PortStatus;
  lastError?: string;
  rpc?: { ok: boolean; error?: string; url: string };
  extraServices: ExtraService[];
}

/** What the human rendering needs beyond the JSON. */
export interface GatewayStatusContext {
  manager: ServiceManager;
  managerAvailable: boolean;
  managerDetail?: string;
  installed: boolean;
  logFile: string;
  dashboard: string;
  cliPort: number;
}

export interface GatherOptions {
  env?: Env;
  probe: boolean;
  deep: boolean;
  url?: string;
  port?: number;
  token?: string;
  password?: string;
  timeoutMs: number;
  platform?: NodeJS.Platform;
}

function summarize(snapshot: ConfigSnapshot): ConfigSummary {
  return {
    path: snapshot.path,
    exists: snapshot.exists,
    valid: snapshot.valid,
    ...(snapshot.issues.length > 0 ? { issues: snapshot.issues } : {}),
    controlUi: {
      enabled: snapshot.config.gateway.controlUi.enabled,
      basePath: snapshot.config.gateway.controlUi.basePath,
    },
  };
}

async function portStatus(port: number): Promise<PortStatus> {
  try {
    const listeners = await findPortListeners(port);
    if (listeners.length > 0) {
      return {
        port,
        status: "busy",
        listeners: listeners.map((l) => ({
          pid: l.pid,
          user: l.user,
          command: l.command,
          address: l.address,
        })),
        hints: [],
      };
    }
  } catch {
    // fall through to a trial bind
  }
  const free = await isPortFree(port).catch(() => null);
  if (free === null) return { port, status: "unknown", listeners: [], hints: [] };
  return {
    port,
    status: free ? "free" : "busy",
    listeners: [],
    hints: free
      ? []
      : ["Port is in use but process details are unavailable (install lsof or run as an admin user)."],
  };
}

function lifecycleRuntime(pid: number, state: string | null, detail?: string): RuntimeStatus {
  if (state === "ready") return { status: "running", pid, state };
  if (state === "starting" || state === null) {
    return { status: "starting", pid, ...(state === null ? { detail: detail ?? "not listening yet" } : {}) };
  }
  if (state === "draining" || state === "closing") return { status: "stopping", pid, state };
  return { status: "running", pid, state };
}

/**
 * `coderclaw gateway status` (REFERENCE §1.8): the service manager's view, the config each side
 * uses, where the gateway should listen, what actually runs there and whether it answers RPC.
 */
export async function gatherGatewayStatus(
  options: GatherOptions,
): Promise<{ status: GatewayStatus; context: GatewayStatusContext }> {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const service = await loadServiceContext(env, { platform });
  const { manager, availability, definition, loaded } = service;
  const installed = definition !== null || loaded;
  const serviceEnv = definition?.command.environment ?? {};
  const daemonSnapshot = service.snapshot;
  const daemonConfig = daemonSnapshot.config;
  const cliConfigPath = resolveConfigPath(env);
  const cliSnapshot =
    cliConfigPath === daemonSnapshot.path ? daemonSnapshot : readConfigSnapshot(cliConfigPath);
  // The running gateway's record says where it really listens; `--port`/`--url` say where to look instead.
  const target = resolveCliTarget(
    { url: options.url, port: options.port, token: options.token, password: options.password },
    env,
  );
  const record = options.url ? null : readRuntimeRecord(daemonSnapshot.path);
  const where = listenerView(service, record, options.port);
  const { port } = where;
  const cliPort =
    record?.port ??
    resolvePort(undefined, env, cliSnapshot.exists ? cliSnapshot.config.gateway.port : undefined);
  const probeUrl = options.url ?? where.url;
  const basePath = daemonConfig.gateway.controlUi.basePath;
  const dashboardHost =
    where.host.startsWith("[") || !where.host.includes(":") ? where.host : `[${where.host}]`;
  const dashboard = daemonConfig.gateway.controlUi.enabled
    ? `${where.url.startsWith("wss:") ? "https" : "http"}://${dashboardHost}:${port}${normalizeBasePath(basePath)}/`
    : "disabled";

  const tokens = { env: env.CODERCLAW_GATEWAY_TOKEN, config: daemonConfig.gateway.auth.token };
  const configAudit: ServiceAudit = definition
    ? auditService(definition, { tokens, platform })
    : { ok: true, issues: [] };

  // The CLI's rule (flag > env > config); a service unit's pinned secret when the CLI has none.
  // With --url only explicit credentials: local secrets are never sent to another host.
  const fromUnit = options.url || target.credentialSource !== "none" ? {} : unitCredentials(serviceEnv);
  const token = target.token ?? fromUnit.token;
  const password = target.token ? undefined : (target.password ?? fromUnit.password);
  const explainTarget = { ...target, runtime: record, ...fromUnit };

  const probePin = options.url
    ? pinFor(options.url, daemonSnapshot, false, service.daemonEnv)
    : (service.tls.fingerprint ?? undefined);
  const [rpcProbe, portInfo, portCliInfo] = await Promise.all([
    options.probe
      ? probeGatewayRpc({
          url: probeUrl,
          ...(probePin ? { tlsFingerprint: probePin } : {}),
          ...(token ? { token } : {}),
          ...(password ? { password } : {}),
          timeoutMs: options.timeoutMs,
          calls: [{ method: "status" }],
          explainError: (message) => explainAuthFailure(message, explainTarget),
        })
      : Promise.resolve(null),
    portStatus(port),
    cliPort !== port ? portStatus(cliPort) : Promise.resolve(undefined),
  ]);
  const rpcStatus = rpcProbe?.results.status as { gateway?: { state?: string; pid?: number } } | undefined;
  const rpc = rpcProbe
    ? {
        ok: rpcProbe.connected && rpcStatus !== undefined,
        ...(rpcProbe.error || rpcProbe.errors.status
          ? { error: rpcProbe.error ?? rpcProbe.errors.status }
          : {}),
        url: probeUrl,
      }
    : undefined;

  const runtime = await resolveRuntime({
    manager,
    managerAvailable: availability.available,
    installed,
    configPath: daemonSnapshot.path,
    probeHost: where.host.replace(/^\[(.*)\]$/, "$1"),
    port,
    tls: service.tls.enabled,
    rpcGateway: rpc?.ok ? rpcStatus?.gateway : undefined,
  });

  const logFile = service.logFile;
  let lastError: string | undefined;
  if (installed && runtime.status === "running" && portInfo.status === "free") {
    lastError = recentLogErrors(logFile, 0, 1)[0];
  }
  const extraServices = scanGatewayLikeServices(serviceScanDirs(env, platform, options.deep), [
    manager.filePath,
  ]);

  const status: GatewayStatus = {
    service: {
      label: manager.label,
      loaded,
      loadedText: manager.loadedText,
      notLoadedText: manager.notLoadedText,
      command: definition
        ? {
            programArguments: definition.command.programArguments,
            ...(definition.command.workingDirectory
              ? { workingDirectory: definition.command.workingDirectory }
              : {}),
            environment: safeServiceEnvironment(definition.command.environment),
            sourcePath: definition.command.sourcePath,
          }
        : null,
      runtime,
      configAudit,
    },
    config: {
      cli: summarize(cliSnapshot),
      daemon: summarize(daemonSnapshot),
      ...(daemonSnapshot.path !== cliSnapshot.path ? { mismatch: true as const } : {}),
    },
    gateway: {
      bindMode: where.bindMode,
      bindHost: where.bindHost,
      ...(daemonConfig.gateway.customBindHost ? { customBindHost: daemonConfig.gateway.customBindHost } : {}),
      port,
      portSource: where.portSource,
      probeUrl,
      ...(where.probeNote ? { probeNote: where.probeNote } : {}),
      ...(record && where.port === record.port ? { auth: record.auth } : {}),
      tls: service.tls,
    },
    port: portInfo,
    ...(portCliInfo ? { portCli: portCliInfo } : {}),
    ...(lastError ? { lastError } : {}),
    ...(rpc ? { rpc } : {}),
    extraServices,
  };
  return {
    status,
    context: {
      manager,
      managerAvailable: availability.available,
      ...(availability.available ? {} : { managerDetail: availability.detail }),
      installed,
      logFile,
      dashboard,
      cliPort,
    },
  };
}

interface RuntimeInput {
  manager: ServiceManager;
  managerAvailable: boolean;
  installed: boolean;
  configPath: string;
  probeHost: string;
  port: number;
  tls: boolean;
  rpcGateway: { state?: string; pid?: number } | undefined;
}

/**
 * The service manager's runtime when it runs the gateway; otherwise the instance lock's pid plus the
 * gateway's own lifecycle state (RPC `status`, else `/readyz`), so a gateway that is still starting is
 * never reported as dead.
 */
async function resolveRuntime(input: RuntimeInput): Promise<RuntimeStatus> {
  let serviceRuntime: ServiceRuntime | null = null;
  if (input.managerAvailable && input.installed) {
    serviceRuntime = await input.manager.readRuntime();
    if (serviceRuntime.status === "running") return serviceRuntime;
  }
  const lock = await readInstanceLock(input.configPath).catch(() => null);
  const gatewayState = async (): Promise<string | null> => {
    if (input.rpcGateway?.state) return input.rpcGateway.state;
    const probe = await probeReadyz(input.probeHost, input.port, undefined, input.tls);
    return probe.kind === "unreachable" ? null : probe.state;
  };
  if (lock && pidAlive(lock.pid)) {
    const rpcPid = input.rpcGateway?.pid;
    // An answering gateway with another pid is not the lock holder; trust the lock for the pid.
    const state = rpcPid === undefined || rpcPid === lock.pid ? await gatewayState() : null;
    return lifecycleRuntime(lock.pid, state);
  }
  if (input.rpcGateway?.pid) {
    return {
      ...lifecycleRuntime(input.rpcGateway.pid, input.rpcGateway.state ?? null),
      detail: "no instance lock",
    };
  }
  if (serviceRuntime) return serviceRuntime;
  if (lock) return { status: "stopped", detail: `stale lock (pid ${lock.pid} exited)` };
  return { status: "stopped" };
}
