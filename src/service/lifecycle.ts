import { setTimeout as sleep } from "node:timers/promises";
import { cliCommand, type Env } from "../config/paths.js";
import { readInstanceLock } from "../host/instance-lock.js";
import { findPortListeners } from "../host/port-owner.js";
import { ActionReport } from "./action-report.js";
import { pidAlive, probeReadyz, waitForReadiness } from "./readiness.js";
import { probeGatewayRpc } from "./rpc-probe.js";
import { tokenDriftIssue } from "./service-audit.js";
import {
  addUnavailableHints,
  atRunningGateway,
  foregroundGatewayPid,
  loadServiceContext,
  reportReadiness,
  type ServiceContext,
} from "./service-context.js";

export interface LifecycleOptions {
  env: Env;
  /** How long start/restart wait for `/readyz` (ms). */
  timeoutMs?: number;
  /** Called while waiting, for a progress line on a TTY. */
  onProgress?: (line: string | null) => void;
  /** Whether the gateway process still lives (default: ask the service manager). */
  isAlive?: () => Promise<boolean | undefined>;
}

/** Liveness from the manager: running → alive, stopped (crashed, auto-restarting) → dead. */
function managerLiveness(context: ServiceContext) {
  return async (): Promise<boolean | undefined> => {
    const runtime = await context.manager.readRuntime();
    return runtime.status === "running" ? true : runtime.status === "stopped" ? false : undefined;
  };
}

export async function waitAndReport(
  report: ActionReport,
  context: ServiceContext,
  verb: "started" | "restarted" | "installed",
  since: number,
  options: LifecycleOptions,
): Promise<void> {
  const readiness = await waitForReadiness({
    port: context.port,
    host: context.host,
    tls: context.tls.enabled,
    timeoutMs: options.timeoutMs ?? 60_000,
    isAlive: options.isAlive ?? managerLiveness(context),
    logFile: context.logFile,
    since,
    onProgress: ({ elapsedMs, state }) =>
      options.onProgress?.(
        `Waiting for the gateway on ${context.url}: ${state ?? "not listening yet"} (${(elapsedMs / 1000).toFixed(1)}s)`,
      ),
  });
  options.onProgress?.(null);
  report.result(readiness.outcome === "ready" || readiness.outcome === "still-starting" ? verb : "crashed");
  reportReadiness(report, context, readiness, verb);
}

/**
 * REFERENCE §1.9 `clearStaleGatewayProcessIfNeeded`: a gateway outside the service holding the
 * service's port would make it crash-loop, so it is asked to stop first.
 */
async function clearStaleGateway(report: ActionReport, context: ServiceContext): Promise<boolean> {
  const runtime = await context.manager.readRuntime();
  if (runtime.status === "running") return true;
  const lock = await readInstanceLock(context.snapshot.path).catch(() => null);
  const listeners = await findPortListeners(context.port).catch(() => []);
  const stale = [
    ...new Set(
      listeners
        .filter((l) => l.pid !== process.pid && (l.command.includes("coderclaw") || l.pid === lock?.pid))
        .map((l) => l.pid),
    ),
  ];
  if (stale.length === 0) return true;
  for (const pid of stale) {
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline && stale.some(pidAlive)) await sleep(100);
  const left = stale.filter(pidAlive);
  if (left.length > 0) {
    report.fail(
      `Gateway restart cleanup failed: stale listener(s) on port ${context.port} did not exit: ${left.join(", ")}`,
    );
    return false;
  }
  report.detail(`Stopped stale gateway process(es) on port ${context.port}: ${stale.join(", ")}`);
  return true;
}

function notLoaded(report: ActionReport, context: ServiceContext): ActionReport {
  const { manager, env } = context;
  report.result("not-loaded").say(`Gateway service ${manager.notLoadedText}.`);
  report.hint(cliCommand("gateway install", env), "Start with: ");
  report.hint(cliCommand("gateway", env), "Start with: ");
  const [, enableNow] = manager.manualStartCommands();
  if (enableNow) report.hint(enableNow, "Start with: ");
  return report;
}

/**
 * A gateway running outside any service manager restarts in place: ask it over RPC (it drains, tells
 * its clients, and comes back on the same port), wait until the old instance stops answering ready,
 * then until the new one does.
 */
async function restartForeground(
  report: ActionReport,
  serviceContext: ServiceContext,
  pid: number,
  options: LifecycleOptions,
): Promise<ActionReport> {
  // It may listen elsewhere than the config says (`--port`); its runtime record knows.
  const context = atRunningGateway(serviceContext);
  const auth = context.snapshot.config.gateway.auth;
  const since = Date.now();
  const before = await probeReadyz(context.host, context.port, undefined, context.tls.enabled);
  const previousStart = before.kind === "ready" ? before.startedAt : undefined;
  const probe = await probeGatewayRpc({
    url: context.url,
    ...(context.tls.fingerprint ? { tlsFingerprint: context.tls.fingerprint } : {}),
    token: context.env.CODERCLAW_GATEWAY_TOKEN?.trim() || (auth.token ?? undefined),
    password: context.env.CODERCLAW_GATEWAY_PASSWORD?.trim() || (auth.password ?? undefined),
    timeoutMs: 5_000,
    calls: [{ method: "gateway.restart.request", params: { reason: "coderclaw gateway restart" } }],
  });
  const error = probe.error ?? probe.errors["gateway.restart.request"];
  if (!probe.connected || error) {
    return report.result("failed").fail(`Gateway restart failed: ${error ?? "no answer"}`);
  }
  report.say(`Restarting the foreground gateway (pid ${pid}) in place.`);
  const drainDeadline = Date.now() + context.snapshot.config.gateway.restart.drainTimeoutMs + 5_000;
  // The old instance answers ready until it drains; the new one answers with a new start time.
  for (;;) {
    const now = await probeReadyz(context.host, context.port, undefined, context.tls.enabled);
    if (now.kind !== "ready" || now.startedAt !== previousStart || Date.now() > drainDeadline) break;
    await sleep(100);
  }
  await waitAndReport(report, context, "restarted", since, {
    ...options,
    isAlive: async () => pidAlive(pid),
  });
  return report;
}

/** `gateway start` / `gateway restart`: (re)start the service, then wait until it is ready or dead. */
export async function startService(
  action: "start" | "restart",
  options: LifecycleOptions,
): Promise<ActionReport> {
  const report = new ActionReport(action);
  const context = await loadServiceContext(options.env);
  const { manager } = context;
  report.withService(manager, context.loaded);
  if (action === "restart" && context.definition) {
    const tokens = {
      env: options.env.CODERCLAW_GATEWAY_TOKEN,
      config: context.snapshot.config.gateway.auth.token,
    };
    const environment = context.definition.command.environment;
    const drift = tokenDriftIssue(tokens, environment);
    if (drift) {
      report.warn(
        `⚠️  ${drift.message}. ${
          environment.CODERCLAW_GATEWAY_TOKEN
            ? "The service unit still pins the old token."
            : "The service gateway uses gateway.auth.token."
        }`,
        `   Run \`${cliCommand("gateway install --force", options.env)}\` to sync the token.`,
      );
    }
  }
  if (action === "restart" && (!context.availability.available || !context.loaded)) {
    const pid = await foregroundGatewayPid(context);
    if (pid !== null) return restartForeground(report, context, pid, options);
  }
  if (!context.availability.available) {
    report.result("unavailable").fail(`Cannot ${action} the gateway service: ${context.availability.detail}`);
    await addUnavailableHints(report, context, false);
    return report;
  }
  if (!context.loaded) return notLoaded(report, context);
  if (!(await clearStaleGateway(report, context))) return report;
  const since = Date.now();
  const outcome = action === "start" ? await manager.start() : await manager.restart();
  outcome.lines.forEach((line) => report.say(line));
  if (outcome.outcome === "not-loaded") return notLoaded(report, context);
  if (outcome.outcome !== "ok") {
    report.result("failed").fail(`Gateway ${action} failed: ${outcome.error ?? "unknown error"}`);
    for (const hint of manager.logHints()) report.hint(hint, "Logs: ");
    return report;
  }
  await waitAndReport(report, context, action === "start" ? "started" : "restarted", since, options);
  return report;
}

/** `gateway stop`: stop the service; a foreground gateway is named but left alone. */
export async function stopService(options: LifecycleOptions): Promise<ActionReport> {
  const report = new ActionReport("stop");
  const context = await loadServiceContext(options.env);
  const { manager } = context;
  report.withService(manager, context.loaded);
  const foreground = await foregroundGatewayPid(context);
  if (!context.availability.available) {
    report.result("unavailable").fail(`Cannot stop the gateway service: ${context.availability.detail}`);
    if (foreground !== null) {
      report.note(`A foreground gateway is running (pid ${foreground}) for ${context.snapshot.path}.`);
      report.hint(`kill ${foreground}`, "Stop it with Ctrl+C in its terminal, or: ");
    } else {
      report.note("No gateway is running for this config.");
    }
    return report;
  }
  if (!context.loaded) {
    report.result("not-loaded").say(`Gateway service ${manager.notLoadedText}.`);
    if (foreground !== null)
      report.hint(
        `kill ${foreground}`,
        `A foreground gateway is running (pid ${foreground}); stop it with: `,
      );
    return report;
  }
  const outcome = await manager.stop();
  outcome.lines.forEach((line) => report.say(line));
  if (outcome.outcome === "failed") {
    report.result("failed").fail(`Gateway stop failed: ${outcome.error ?? "unknown error"}`);
    return report;
  }
  report.result(outcome.outcome === "not-loaded" ? "not-loaded" : "stopped");
  return report;
}
