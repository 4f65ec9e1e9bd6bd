import { RunningConfig } from "../actors/running-config.js";
import { readConfigSnapshot } from "../config/load.js";
import { createLogger } from "../log/logger.js";
import { isServiceSupervised, startSupervisor, type ServerSetup } from "../actors/supervisor.js";
import { resolveGatewayAuth } from "../transport/auth.js";
import { acquireInstanceLock, GatewayLockError } from "./instance-lock.js";
import { LaunchError, prepareLaunch, type GatewayRunFlags, type LaunchPlan } from "./launch.js";
import { packageInfo } from "./package-info.js";
import { describePortHolders } from "./port-diagnostics.js";
import { cliCommand } from "../config/paths.js";

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
  const logger = createLogger({
    file: plan.logFile,
    level: config.logging.level,
    verbose: Boolean(flags.verbose),
    console: true,
    maxFileBytes: config.logging.maxFileBytes,
    maxFiles: config.logging.maxFiles,
    secrets: () => [plan.auth.token ?? "", plan.auth.password ?? ""],
  });
  const version = packageInfo().version;
  let first = true;
  const runningConfig = new RunningConfig(plan.snapshot);
  // `--port 0` picks a free port once; an in-process restart must come back on the same one.
  let boundPort = plan.port;
  const prepare = (): ServerSetup => {
    // Each in-process restart re-reads the config; the listener settings stay as resolved at launch.
    const snapshot = first ? plan.snapshot : readConfigSnapshot(plan.configPath);
    const usable = snapshot.valid ? snapshot : plan.snapshot;
    first = false;
    const auth =
      usable === plan.snapshot ? plan.auth : resolveGatewayAuth(usable.config, flagOverrides(flags), env);
    runningConfig.replace(usable);
    return {
      runningConfig,
      auth,
      port: boundPort,
      bind: plan.bind,
      listenPlan: plan.listenPlan,
      stateDir: plan.stateDir,
      version,
    };
  };
  logger.child("gateway").info(authLine(plan));
  const running = startSupervisor({
    logger,
    prepare,
    allowSignalRestart: () => readConfigSnapshot(plan.configPath).config.commands.restart,
    handleSignals: true,
    configPath: plan.configPath,
    supervisedRestart: isServiceSupervised(env),
    onReady: (server) => {
      boundPort = server.port;
    },
  });
  const output = await running.done;
  if (output.outcome === "failed" && output.error) {
    io.err(`Gateway failed to start: ${output.error}`);
    io.err(stopHint);
    if (output.error.includes("already listening")) {
      (await describePortHolders(plan.port)).forEach((line) => io.err(line));
    }
  }
  await lock.release();
  await logger.close();
  return output.exitCode;
}

function flagOverrides(flags: GatewayRunFlags) {
  return {
    mode: flags.auth as "token" | "password" | undefined,
    token: flags.token,
    password: flags.password,
  };
}

export { LaunchError };
