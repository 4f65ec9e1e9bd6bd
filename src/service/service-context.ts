import path from "node:path";
import { readConfigSnapshot, type ConfigSnapshot } from "../config/load.js";
import { cliCommand, resolveConfigPath, resolveLogDir, resolveStateDir, type Env } from "../config/paths.js";
import { readInstanceLock } from "../host/instance-lock.js";
import { dialHost, readRuntimeRecord, runtimeRecordUrl } from "../host/runtime-record.js";
import { configuredGatewayPort, resolveGatewayPort } from "../config/gateway-port.js";
import { resolveListenPlan } from "../transport/net.js";
import type { ActionReport } from "./action-report.js";
import { probeTarget } from "./probe-target.js";
import { localGatewayTls, type LocalGatewayTls } from "../client/local-tls.js";
import { portFromProgramArguments } from "./program-args.js";
import { pidAlive, type ReadinessResult } from "./readiness.js";
import { resolveServiceManager } from "./resolve-service-manager.js";
import type { ServiceDefinition, ServiceManager } from "./service-manager.js";
import type { Availability } from "./systemctl.js";

/** Everything an action needs to know about the service and the gateway it runs. */
export interface ServiceContext {
  env: Env;
  manager: ServiceManager;
  availability: Availability;
  definition: ServiceDefinition | null;
  loaded: boolean;
  /** The CLI's environment overlaid with the unit's: what the service gateway resolves paths from. */
  daemonEnv: Env;
  /** The config the service gateway reads. */
  snapshot: ConfigSnapshot;
  port: number;
  /** `service args`, or where the port resolved from (`env CODERCLAW_GATEWAY_PORT`, `config gateway.port`, `default`). */
  portSource: string;
  /** Where the gateway binds (`0.0.0.0` for lan) and where a local probe should dial. */
  bindHost: string;
  host: string;
  url: string;
  /** `gateway.tls` of the service's config, with its certificate's fingerprint (null until generated). */
  tls: LocalGatewayTls;
  probeNote?: string;
  logFile: string;
}

export interface ServiceContextOptions {
  /** systemd: the system scope (`--system`); otherwise an existing unit decides. */
  system?: boolean;
  platform?: NodeJS.Platform;
}

export async function loadServiceContext(
  env: Env,
  options: ServiceContextOptions = {},
): Promise<ServiceContext> {
  const manager = resolveServiceManager({
    env,
    ...(options.system ? { system: true } : {}),
    ...(options.platform ? { platform: options.platform } : {}),
  });
  const availability = await manager.availability();
  const definition = await manager.readDefinition();
  const loaded = availability.available ? await manager.isLoaded() : false;
  const daemonEnv: Env = { ...env, ...(definition?.command.environment ?? {}) };
  const snapshot = readConfigSnapshot(resolveConfigPath(daemonEnv));
  const config = snapshot.config;
  const argsPort = definition ? portFromProgramArguments(definition.command.programArguments) : undefined;
  const resolved = resolveGatewayPort(undefined, daemonEnv, configuredGatewayPort(snapshot));
  const port = argsPort ?? resolved.port;
  const bindHost = resolveListenPlan(config.gateway.bind, config.gateway.customBindHost).host;
  const tls = localGatewayTls(snapshot, daemonEnv);
  const target = probeTarget(config.gateway.bind, bindHost, port, tls.enabled);
  const logFile = config.logging.file ?? path.join(resolveLogDir(resolveStateDir(daemonEnv)), "gateway.log");
  return {
    env,
    manager,
    availability,
    definition,
    loaded,
    daemonEnv,
    snapshot,
    port,
    portSource: argsPort !== undefined ? "service args" : resolved.source,
    bindHost,
    host: target.host,
    url: target.url,
    tls,
    ...(target.note ? { probeNote: target.note } : {}),
    logFile,
  };
}

/** The context at the running gateway's own address (its runtime record), when one runs. */
export function atRunningGateway(context: ServiceContext): ServiceContext {
  const record = readRuntimeRecord(context.snapshot.path);
  if (!record) return context;
  const host = dialHost(record).replace(/^\[(.*)\]$/, "$1");
  return { ...context, port: record.port, host, url: runtimeRecordUrl(record) };
}

/** The pid of a gateway holding this config's instance lock, if it is alive. */
export async function foregroundGatewayPid(context: ServiceContext): Promise<number | null> {
  const lock = await readInstanceLock(context.snapshot.path).catch(() => null);
  return lock && pidAlive(lock.pid) ? lock.pid : null;
}

/** What to do when no service manager answers: the manual commands, or install, or the foreground. */
export async function addUnavailableHints(
  report: ActionReport,
  context: ServiceContext,
  wroteUnit: boolean,
): Promise<void> {
  const { manager, env } = context;
  const commands = manager.manualStartCommands();
  if ((wroteUnit || context.definition) && commands.length > 0) {
    report.note(`Unit file: ${manager.filePath}`);
    report.note("Enable and start it by hand where the service manager runs:");
    for (const command of commands) report.hint(command, "  ");
  } else if (manager.kind !== "unsupported") {
    report.hint(cliCommand("gateway install", env), "Install the service with: ");
  }
  report.hint(cliCommand("gateway", env), "Or run the gateway in the foreground: ");
  const pid = await foregroundGatewayPid(context);
  if (pid !== null) report.note(`A foreground gateway is running (pid ${pid}) for ${context.snapshot.path}.`);
}

/** "started" / "restarted" / "installed" outcome of the readiness wait, said plainly. */
export function reportReadiness(
  report: ActionReport,
  context: ServiceContext,
  readiness: ReadinessResult,
  verb: "started" | "restarted" | "installed",
): void {
  if (readiness.outcome === "ready") {
    report.say(`Gateway is ready on ${readiness.url}`);
    return;
  }
  if (readiness.outcome === "still-starting") {
    const seconds = Math.round(readiness.elapsedMs / 1000);
    report.warn(
      `Gateway is still starting (state: ${readiness.state ?? "not listening yet"}) after ${seconds}s on ${readiness.url}.`,
    );
    report.hint(cliCommand("gateway status", context.env), "Check again with: ");
    return;
  }
  const what = verb === "installed" ? "Gateway service installed, but the gateway" : "Gateway";
  report.fail(
    [
      `${what} ${verb === "installed" ? "exited immediately." : `${verb} but exited immediately.`}`,
      ...(readiness.errors.length > 0
        ? readiness.errors.map((line) => `  ${line}`)
        : ["  Check gateway logs for details."]),
    ].join("\n"),
  );
  report.note(`Log file: ${context.logFile}`);
  for (const hint of context.manager.logHints()) report.hint(hint, "Logs: ");
}
