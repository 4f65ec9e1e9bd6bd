import fs from "node:fs";
import os from "node:os";
import { cliCommand, type Env } from "../config/paths.js";
import { ActionReport } from "./action-report.js";
import { InstallPlanError, resolveInstall } from "./install-plan.js";
import { waitAndReport, type LifecycleOptions } from "./lifecycle.js";
import { addUnavailableHints, loadServiceContext, type ServiceContext } from "./service-context.js";
import { runCommand } from "./systemctl.js";

export interface InstallOptions extends LifecycleOptions {
  force?: boolean;
  port?: string;
  token?: string;
  system?: boolean;
}

/**
 * A user unit stops with the user's last session unless lingering is on; say so, with the fix.
 * Silent when loginctl is missing or has no answer (containers).
 */
async function checkLinger(report: ActionReport, context: ServiceContext): Promise<void> {
  if (context.manager.kind !== "systemd" || context.manager.scope !== "user") return;
  const user = context.env.USER?.trim() || os.userInfo().username;
  const result = await runCommand("loginctl", ["show-user", user, "-p", "Linger"], 5_000);
  if (result.code !== 0 || !/^Linger=no$/m.test(result.stdout)) return;
  report.warn(`Lingering is off for ${user}: the gateway stops when you log out.`);
  report.hint(`sudo loginctl enable-linger ${user}`, "Keep it running after logout: ");
}

/** `gateway install`: write the unit/plist, enable and start it where a manager runs, wait for ready. */
export async function installService(options: InstallOptions): Promise<ActionReport> {
  const report = new ActionReport("install");
  const input = {
    env: options.env,
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.token !== undefined ? { token: options.token } : {}),
    ...(options.system ? { system: true } : {}),
  };
  try {
    resolveInstall({ ...input, dryRun: true });
  } catch (error) {
    if (error instanceof InstallPlanError) return report.fail(error.message);
    throw error;
  }
  const context = await loadServiceContext(options.env, { system: Boolean(options.system) });
  const { manager, availability } = context;
  report.withService(manager, context.loaded);
  const exists = fs.existsSync(manager.filePath);
  if ((context.loaded || exists) && !options.force) {
    report.result("already-installed");
    report.say(
      context.loaded
        ? `Gateway service already ${manager.loadedText}.`
        : `Gateway service unit already exists: ${manager.filePath}`,
    );
    report.hint(cliCommand("gateway install --force", options.env), "Reinstall with: ");
    if (!availability.available) {
      report.fail(`Cannot enable the gateway service: ${availability.detail}`);
      await addUnavailableHints(report, context, true);
    }
    return report;
  }
  // Only now may a token be generated and saved: an existing install above changes nothing.
  const resolved = resolveInstall(input);
  resolved.notes.forEach((line) => report.detail(line));
  resolved.warnings.forEach((line) => report.warn(line));
  const since = Date.now();
  const outcome = await manager.install(resolved.plan);
  outcome.lines.forEach((line) => report.say(line));
  if (outcome.outcome === "unavailable") {
    report.result("unavailable").fail(`Cannot enable the gateway service: ${outcome.error ?? "unavailable"}`);
    await addUnavailableHints(report, context, true);
    await checkLinger(report, context);
    return report;
  }
  if (outcome.outcome !== "ok") {
    return report.result("failed").fail(`Gateway install failed: ${outcome.error ?? "unknown error"}`);
  }
  // The unit just written decides the port and paths the new gateway uses.
  const installed = await loadServiceContext(options.env, { system: Boolean(options.system) });
  report.withService(manager, true);
  await waitAndReport(report, installed, "installed", since, options);
  if (report.exitCode === 0) report.result("installed");
  await checkLinger(report, installed);
  return report;
}

/** `gateway uninstall`: stop and disable where possible, then remove the unit/plist. */
export async function uninstallService(options: { env: Env; system?: boolean }): Promise<ActionReport> {
  const report = new ActionReport("uninstall");
  if (options.env.CODERCLAW_NIX_MODE === "1")
    return report.fail("Nix mode detected; service uninstall is disabled.");
  const context = await loadServiceContext(options.env, { system: Boolean(options.system) });
  const { manager } = context;
  report.withService(manager, context.loaded);
  if (context.loaded) await manager.stop();
  const outcome = await manager.uninstall();
  outcome.lines.forEach((line) => report.say(line));
  if (outcome.outcome === "unavailable") {
    report.warn(`Nothing was disabled: ${outcome.error ?? "service manager unavailable"}`);
  } else if (outcome.outcome === "failed") {
    return report.result("failed").fail(`Gateway uninstall failed: ${outcome.error ?? "unknown error"}`);
  }
  const stillLoaded = context.availability.available && (await manager.isLoaded());
  report.withService(manager, stillLoaded);
  if (stillLoaded) return report.fail("Gateway service still loaded after uninstall.");
  return report.result("uninstalled");
}
