import fs from "node:fs";
import path from "node:path";
import { resolveHomeDir, type Env } from "../config/paths.js";
import type {
  InstallPlan,
  ServiceActionResult,
  ServiceCommand,
  ServiceDefinition,
  ServiceManager,
  ServiceRuntime,
} from "./service-manager.js";
import {
  firstLine,
  systemctl,
  systemctlCommandLine,
  systemdAvailability,
  type Availability,
  type SystemdScope,
} from "./systemctl.js";
import { writePrivateFile } from "../config/private-file.js";
import { parseSystemdUnit, renderSystemdUnit } from "./systemd-unit.js";

/** System unit dir; `CODERCLAW_SYSTEMD_SYSTEM_DIR` moves it (packaging, tests). */
export function systemdSystemUnitDir(env: Env = process.env): string {
  return env.CODERCLAW_SYSTEMD_SYSTEM_DIR?.trim() || "/etc/systemd/system";
}

export function systemdUserUnitDir(env: Env = process.env): string {
  const configHome = env.XDG_CONFIG_HOME?.trim() || path.join(resolveHomeDir(env), ".config");
  return path.join(configHome, "systemd", "user");
}

export function systemdUnitPath(scope: SystemdScope, unit: string, env: Env = process.env): string {
  return path.join(scope === "user" ? systemdUserUnitDir(env) : systemdSystemUnitDir(env), unit);
}

/** `KEY=value` lines of `systemctl show`. */
export function parseShowOutput(output: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of output.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) values[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return values;
}

/** REFERENCE §4.4: running iff ActiveState=active; a unit systemd does not know is stopped + missing. */
export function runtimeFromShow(values: Record<string, string>): ServiceRuntime {
  const active = values.ActiveState ?? "";
  if (!active) return { status: "unknown" };
  const runtime: ServiceRuntime = {
    status: active === "active" ? "running" : "stopped",
    state: active,
  };
  if (values.SubState) runtime.subState = values.SubState;
  const pid = Number(values.MainPID);
  if (Number.isInteger(pid) && pid > 0) runtime.pid = pid;
  const exitStatus = Number(values.ExecMainStatus);
  if (values.ExecMainStatus !== undefined && values.ExecMainStatus !== "" && Number.isInteger(exitStatus)) {
    runtime.lastExitStatus = exitStatus;
  }
  if (values.ExecMainCode) runtime.lastExitReason = values.ExecMainCode;
  if (values.LoadState === "not-found") runtime.missingUnit = true;
  return runtime;
}

export class SystemdService implements ServiceManager {
  readonly kind = "systemd" as const;
  readonly loadedText = "enabled";
  readonly notLoadedText = "disabled";
  readonly filePath: string;
  readonly displayName: string;
  private availabilityCache: Promise<Availability> | null = null;

  constructor(
    readonly label: string,
    readonly scope: SystemdScope,
    private readonly env: Env,
  ) {
    this.filePath = systemdUnitPath(scope, label, env);
    this.displayName = scope === "user" ? "systemd" : "systemd (system)";
  }

  availability(): Promise<Availability> {
    this.availabilityCache ??= systemdAvailability(this.scope);
    return this.availabilityCache;
  }

  render(plan: InstallPlan): string {
    return renderSystemdUnit({
      description: plan.description,
      programArguments: plan.programArguments,
      environment: plan.environment,
      ...(plan.workingDirectory ? { workingDirectory: plan.workingDirectory } : {}),
      ...(this.scope === "system" && plan.user ? { user: plan.user } : {}),
    });
  }

  /** What a user types: `sudo` for system units when not root. */
  private command(args: string[]): string {
    const line = systemctlCommandLine(this.scope, args);
    return this.scope === "system" && process.getuid?.() !== 0 ? `sudo ${line}` : line;
  }

  manualStartCommands(): string[] {
    return [this.command(["daemon-reload"]), this.command(["enable", "--now", this.label])];
  }

  logHints(): string[] {
    const journal = this.scope === "user" ? "journalctl --user" : "journalctl";
    return [`${journal} -u ${this.label} -n 200 --no-pager`];
  }

  private async run(args: string[]): Promise<{ ok: boolean; error: string }> {
    const result = await systemctl(this.scope, args);
    const verb = args[0] ?? "";
    if (result.code === 0) return { ok: true, error: "" };
    const detail = firstLine(result.stderr) || firstLine(result.stdout) || `exit code ${result.code}`;
    return { ok: false, error: `systemctl ${verb} failed: ${detail}` };
  }

  private async unavailable(detail: string, extra: Partial<ServiceActionResult> = {}) {
    const exists = fs.existsSync(this.filePath);
    return {
      outcome: "unavailable" as const,
      lines: [],
      error: detail,
      manual: {
        ...(exists ? { file: this.filePath } : {}),
        commands: exists ? this.manualStartCommands() : [],
      },
      ...extra,
    };
  }

  async install(plan: InstallPlan): Promise<ServiceActionResult> {
    const content = this.render(plan);
    writePrivateFile(this.filePath, content);
    const availability = await this.availability();
    if (!availability.available) {
      return {
        outcome: "unavailable",
        lines: [`Wrote systemd unit: ${this.filePath}`],
        error: availability.detail,
        manual: { file: this.filePath, content, commands: this.manualStartCommands() },
      };
    }
    for (const args of [["daemon-reload"], ["enable", this.label], ["restart", this.label]]) {
      const step = await this.run(args);
      if (!step.ok)
        return { outcome: "failed", lines: [`Wrote systemd unit: ${this.filePath}`], error: step.error };
    }
    return { outcome: "ok", lines: [`Installed systemd service: ${this.filePath}`] };
  }

  async uninstall(): Promise<ServiceActionResult> {
    const availability = await this.availability();
    const lines: string[] = [];
    if (availability.available) await this.run(["disable", "--now", this.label]);
    if (fs.existsSync(this.filePath)) {
      fs.rmSync(this.filePath, { force: true });
      lines.push(`Removed systemd service: ${this.filePath}`);
    } else {
      lines.push(`Systemd service not found at ${this.filePath}`);
    }
    if (!availability.available) return { outcome: "unavailable", lines, error: availability.detail };
    await this.run(["daemon-reload"]);
    return { outcome: "ok", lines };
  }

  async start(): Promise<ServiceActionResult> {
    return this.restartLike("start");
  }

  async restart(): Promise<ServiceActionResult> {
    return this.restartLike("restart");
  }

  /** REFERENCE §1.9: start and restart both `systemctl restart` a loaded unit. */
  private async restartLike(action: "start" | "restart"): Promise<ServiceActionResult> {
    const availability = await this.availability();
    if (!availability.available) return this.unavailable(availability.detail);
    if (!(await this.isLoaded())) return { outcome: "not-loaded", lines: [] };
    const step = await this.run(["restart", this.label]);
    if (!step.ok) return { outcome: "failed", lines: [], error: step.error };
    const verb = action === "start" ? "Started" : "Restarted";
    return { outcome: "ok", lines: [`${verb} systemd service: ${this.label}`] };
  }

  async stop(): Promise<ServiceActionResult> {
    const availability = await this.availability();
    if (!availability.available) return this.unavailable(availability.detail, { manual: { commands: [] } });
    if (!(await this.isLoaded())) return { outcome: "not-loaded", lines: [] };
    const step = await this.run(["stop", this.label]);
    if (!step.ok) return { outcome: "failed", lines: [], error: step.error };
    return { outcome: "ok", lines: [`Stopped systemd service: ${this.label}`] };
  }

  async isLoaded(): Promise<boolean> {
    if (!(await this.availability()).available) return false;
    return (await systemctl(this.scope, ["is-enabled", this.label])).code === 0;
  }

  async readDefinition(): Promise<ServiceDefinition | null> {
    let content: string;
    try {
      content = fs.readFileSync(this.filePath, "utf8");
    } catch {
      return null;
    }
    const parsed = parseSystemdUnit(content);
    const command: ServiceCommand = {
      programArguments: parsed.programArguments,
      environment: parsed.environment,
      ...(parsed.workingDirectory ? { workingDirectory: parsed.workingDirectory } : {}),
      sourcePath: this.filePath,
    };
    return { command, systemd: parsed };
  }

  async readRuntime(): Promise<ServiceRuntime> {
    const availability = await this.availability();
    if (!availability.available) return { status: "unknown", detail: availability.detail };
    const result = await systemctl(this.scope, [
      "show",
      this.label,
      "--no-pager",
      "--property",
      "ActiveState,SubState,MainPID,ExecMainStatus,ExecMainCode,LoadState",
    ]);
    if (result.code !== 0) {
      const detail = firstLine(result.stderr) || `exit code ${result.code}`;
      if (/not found|not loaded/i.test(detail)) return { status: "stopped", missingUnit: true, detail };
      return { status: "unknown", detail };
    }
    return runtimeFromShow(parseShowOutput(result.stdout));
  }
}
