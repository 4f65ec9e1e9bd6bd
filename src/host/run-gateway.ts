import { FaultInjection } from "../actors/fault-injection.js";
import { RunningConfig } from "../actors/running-config.js";
import { readConfigSnapshot } from "../config/load.js";
import { createLogger } from "../log/logger.js";
import type { GatewayServer } from "../actors/gateway-server.js";
import { isServiceSupervised, startSupervisor, type ServerSetup } from "../actors/supervisor.js";
import { acquireInstanceLock, GatewayLockError } from "./instance-lock.js";
import { LaunchError, prepareLaunch, type GatewayRunFlags, type LaunchPlan } from "./launch.js";
import { packageInfo } from "../config/package-info.js";
import { stateDirAccessProblem } from "./state-dir-access.js";
import { describePortHolders } from "./port-diagnostics.js";
import { readProcessStartTime } from "./instance-lock.js";
import { authSourceLabel, removeRuntimeRecord, writeRuntimeRecord } from "./runtime-record.js";
import { resolveRestartSettings, type InstanceSettings } from "./restart-settings.js";
import { cliCommand } from "../config/paths.js";
import { configSecretValues } from "../config/redact.js";

export interface RunIo {
  out(line: string): void;
  err(line: string): void;
}

function authLine(plan: LaunchPlan): string {
  const { auth } = plan;
  const kind = auth.mode === "password" ? "password" : "token";
  const source = kind === "password" ? auth.passwordSource : auth.tokenSource;
  if (plan.generatedToken)
    return `auth: token generated and stored in ${plan.configPath} (gateway.auth.token)`;
  if (source === "env") return `auth: ${kind} from CODERCLAW_GATEWAY_${kind.toUpperCase()}`;
  if (source === "cli") return `auth: ${kind} from --${kind}`;
  return `auth: ${kind} in ${plan.configPath} (gateway.auth.${kind})`;
}

/** `coderclaw gateway`: checks, lock, supervisor; resolves with the process exit code. */
export async function runGateway(flags: GatewayRunFlags, env: NodeJS.ProcessEnv, io: RunIo): Promise<number> {
  let plan: LaunchPlan;
  try {
    plan = await prepareLaunch(flags, env, io.out, io.out);
  } catch (error) {
    if (error instanceof LaunchError) {
      error.lines.forEach((line) => io.err(line));
      return 1;
    }
    throw error;
  }
  const accessProblem = stateDirAccessProblem(plan.stateDir, plan.logFile);
  if (accessProblem) {
    io.err(`Gateway failed to start: ${accessProblem}`);
    return 1;
  }
  const stopHint = `If the gateway is supervised, stop it with: ${cliCommand("gateway stop", env)}`;
  let lock;
  try {
    lock = await acquireInstanceLock({ configPath: plan.configPath });
  } catch (error) {
    if (error instanceof GatewayLockError) {
      io.err(`Gateway failed to start: ${error.message}`);
      io.err(stopHint);
      return 1;
    }
    throw error;
  }
  const config = plan.snapshot.config;
  const launchSecrets = configSecretValues(plan.snapshot.parsed);
  let instance: InstanceSettings = plan;
  const logger = createLogger({
    file: plan.logFile,
    level: config.logging.level,
    verbose: Boolean(flags.verbose),
    wsLog: plan.wsLog,
    console: true,
    maxFileBytes: config.logging.maxFileBytes,
    maxFiles: config.logging.maxFiles,
    secrets: () => [instance.auth.token ?? "", instance.auth.password ?? "", ...launchSecrets],
  });
  const log = logger.child("gateway");
  const version = packageInfo().version;
  const runningConfig = new RunningConfig(plan.snapshot);
  let first = true;
  // `--port 0` picks a free port once; an in-process restart must come back on the same one.
  let boundPort = plan.port;
  const prepare = (): ServerSetup => {
    if (!first) instance = nextInstance();
    first = false;
    return {
      runningConfig,
      auth: instance.auth,
      port: instance.port,
      bind: instance.bind,
      listenPlan: instance.listenPlan,
      stateDir: plan.stateDir,
      version,
    };
  };
  /** An in-process restart re-reads the file; what it cannot use leaves the running instance's settings. */
  const nextInstance = (): InstanceSettings => {
    const next = resolveRestartSettings(
      readConfigSnapshot(plan.configPath),
      flags,
      env,
      plan.stateDir,
      boundPort,
    );
    if (!next.ok) {
      log.warn(`restart: ${plan.configPath}: ${next.reason}; keeping the running config`);
      return { ...instance, snapshot: runningConfig.snapshot };
    }
    for (const pin of next.pins) log.info(`restart: ${pin.path} pinned by ${pin.source} (${pin.value})`);
    const logging = next.settings.snapshot.config.logging;
    try {
      logger.reopen({
        file: next.settings.logFile,
        level: logging.level,
        maxFileBytes: logging.maxFileBytes,
        maxFiles: logging.maxFiles,
      });
    } catch (error) {
      log.warn(
        `restart: cannot log to ${next.settings.logFile} (${(error as Error).message}); keeping ${logger.file}`,
      );
    }
    runningConfig.replace(next.settings.snapshot);
    return { ...next.settings, logFile: logger.file };
  };
  log.info(authLine(plan));
  const startTime = await readProcessStartTime(process.pid);
  const tlsRecord = (fingerprint: string | null) =>
    fingerprint
      ? { enabled: true, fingerprint }
      : { enabled: runningConfig.snapshot.config.gateway.tls.enabled };
  /** Each ready instance (first start and every in-process restart) says where it listens now. */
  const recordRuntime = (server: GatewayServer) => {
    try {
      writeRuntimeRecord({
        pid: process.pid,
        ...(startTime !== undefined ? { startTime } : {}),
        startedAt: new Date().toISOString(),
        port: server.port,
        bind: instance.bind,
        addresses: [...server.addresses],
        tls: tlsRecord(server.services.listen.tlsFingerprint),
        auth: {
          mode: instance.auth.mode,
          source: authSourceLabel(instance.auth, plan.generatedToken && instance === plan),
        },
        configPath: plan.configPath,
        stateDir: plan.stateDir,
        version,
      });
    } catch (error) {
      log.warn(`cannot write the runtime record (${(error as Error).message}); clients fall back to config`);
    }
  };
  const running = startSupervisor({
    logger,
    prepare,
    runningConfig,
    allowSignalRestart: () => runningConfig.snapshot.config.commands.restart,
    faults: FaultInjection.fromEnv(env),
    handleSignals: true,
    configPath: plan.configPath,
    supervisedRestart: isServiceSupervised(env),
    onReady: (server) => {
      if (plan.port === 0 && boundPort === 0) boundPort = server.port;
      recordRuntime(server);
    },
  });
  const output = await running.done;
  if (output.outcome === "failed" && output.error) {
    io.err(`Gateway failed to start: ${output.error}`);
    io.err(stopHint);
    if (output.error.includes("already listening")) {
      (await describePortHolders(instance.port)).forEach((line) => io.err(line));
    }
  }
  removeRuntimeRecord(plan.configPath);
  await lock.release();
  await logger.close();
  return output.exitCode;
}

export { LaunchError };
