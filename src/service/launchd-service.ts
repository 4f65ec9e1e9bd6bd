import fs from "node:fs";
import path from "node:path";
import { resolveHomeDir, type Env } from "../config/paths.js";
import { parseLaunchdPlist, renderLaunchdPlist } from "./launchd-plist.js";
import { writePrivateFile } from "../config/private-file.js";
import type {
  InstallPlan,
  ServiceActionResult,
  ServiceCommand,
  ServiceDefinition,
  ServiceManager,
  ServiceRuntime,
} from "./service-manager.js";
import { firstLine, runCommand, type Availability } from "./systemctl.js";

export function launchAgentPath(label: string, env: Env = process.env): string {
  return path.join(resolveHomeDir(env), "Library", "LaunchAgents", `${label}.plist`);
}

/** `state = running`, `pid = N`, `last exit code = N` lines of `launchctl print`. */
export function runtimeFromLaunchctlPrint(output: string): ServiceRuntime {
  const field = (name: string) => new RegExp(`^\\s*${name}\\s*=\\s*(.+)$`, "m").exec(output)?.[1]?.trim();
  const state = field("state");
  const pid = Number(field("pid"));
  const runtime: ServiceRuntime = {
    status: state === "running" || (Number.isInteger(pid) && pid > 0) ? "running" : "stopped",
  };
  if (state) runtime.state = state;
  if (Number.isInteger(pid) && pid > 0) runtime.pid = pid;
  const lastExit = Number(field("last exit (?:status|code)"));
  if (Number.isInteger(lastExit)) runtime.lastExitStatus = lastExit;
  const reason = field("last exit reason");
  if (reason) runtime.lastExitReason = reason;
  return runtime;
}

const launchctl = (args: string[]) => runCommand("launchctl", args);

export class LaunchdService implements ServiceManager {
  readonly kind = "launchd" as const;
  readonly displayName = "LaunchAgent";
  readonly loadedText = "loaded";
  readonly notLoadedText = "not loaded";
  readonly filePath: string;
  private readonly domain: string;

  constructor(
    readonly label: string,
    env: Env,
  ) {
    this.filePath = launchAgentPath(label, env);
    this.domain = `gui/${process.getuid?.() ?? 501}`;
  }

  async availability(): Promise<Availability> {
    if (process.platform !== "darwin")
      return { available: false, detail: "launchctl is only available on macOS" };
    const result = await launchctl(["print", this.domain]);
    if (result.missing) return { available: false, detail: "launchctl not found" };
    if (result.code !== 0) {
      return {
        available: false,
        detail: `launchctl unavailable: ${firstLine(result.stderr) || result.code}`,
      };
    }
    return { available: true };
  }

  render(plan: InstallPlan): string {
    return renderLaunchdPlist({
      label: this.label,
      comment: plan.description,
      programArguments: plan.programArguments,
      environment: plan.environment,
      ...(plan.workingDirectory ? { workingDirectory: plan.workingDirectory } : {}),
      // Not gateway.log: that is the gateway's own JSON-lines log, which launchd must not interleave.
      stdoutPath: path.join(plan.logDir, "gateway.out.log"),
      stderrPath: path.join(plan.logDir, "gateway.err.log"),
    });
  }

  manualStartCommands(): string[] {
    return [`launchctl bootstrap ${this.domain} ${this.filePath}`, `launchctl kickstart -k ${this.target()}`];
  }

  logHints(): string[] {
    const plist = this.readPlist();
    return [
      ...(plist?.stdoutPath ? [`Logs: ${plist.stdoutPath}`] : []),
      ...(plist?.stderrPath ? [`Errors: ${plist.stderrPath}`] : []),
    ];
  }

  private target(): string {
    return `${this.domain}/${this.label}`;
  }

  async install(plan: InstallPlan): Promise<ServiceActionResult> {
    const content = this.render(plan);
    fs.mkdirSync(plan.logDir, { recursive: true });
    writePrivateFile(this.filePath, content);
    const lines = [
      `Installed LaunchAgent: ${this.filePath}`,
      `Logs: ${path.join(plan.logDir, "gateway.out.log")}`,
    ];
    const availability = await this.availability();
    if (!availability.available) {
      return {
        outcome: "unavailable",
        lines: [`Wrote LaunchAgent: ${this.filePath}`],
        error: availability.detail,
        manual: { file: this.filePath, content, commands: this.manualStartCommands() },
      };
    }
    await launchctl(["bootout", this.domain, this.filePath]);
    await launchctl(["unload", this.filePath]);
    await launchctl(["enable", this.target()]);
    const boot = await launchctl(["bootstrap", this.domain, this.filePath]);
    if (boot.code !== 0) {
      return { outcome: "failed", lines, error: `launchctl bootstrap failed: ${firstLine(boot.stderr)}` };
    }
    await launchctl(["kickstart", "-k", this.target()]);
    return { outcome: "ok", lines };
  }

  async uninstall(): Promise<ServiceActionResult> {
    const availability = await this.availability();
    if (availability.available) {
      await launchctl(["bootout", this.target()]);
      await launchctl(["unload", this.filePath]);
    }
    const lines: string[] = [];
    if (!fs.existsSync(this.filePath)) {
      lines.push(`LaunchAgent not found at ${this.filePath}`);
    } else {
      const trash = path.join(path.dirname(path.dirname(path.dirname(this.filePath))), ".Trash");
      fs.mkdirSync(trash, { recursive: true });
      const destination = path.join(trash, `${this.label}.plist`);
      fs.renameSync(this.filePath, destination);
      lines.push(`Moved LaunchAgent to Trash: ${destination}`);
    }
    if (!availability.available) return { outcome: "unavailable", lines, error: availability.detail };
    return { outcome: "ok", lines };
  }

  private async unavailable(detail: string): Promise<ServiceActionResult> {
    const exists = fs.existsSync(this.filePath);
    return {
      outcome: "unavailable",
      lines: [],
      error: detail,
      manual: {
        ...(exists ? { file: this.filePath } : {}),
        commands: exists ? this.manualStartCommands() : [],
      },
    };
  }

  async start(): Promise<ServiceActionResult> {
    return this.kickstart("Started");
  }

  async restart(): Promise<ServiceActionResult> {
    return this.kickstart("Restarted");
  }

  private async kickstart(verb: string): Promise<ServiceActionResult> {
    const availability = await this.availability();
    if (!availability.available) return this.unavailable(availability.detail);
    if (!(await this.isLoaded())) return { outcome: "not-loaded", lines: [] };
    const result = await launchctl(["kickstart", "-k", this.target()]);
    if (result.code !== 0) {
      return {
        outcome: "failed",
        lines: [],
        error: `launchctl kickstart failed: ${firstLine(result.stderr)}`,
      };
    }
    return { outcome: "ok", lines: [`${verb} LaunchAgent: ${this.target()}`] };
  }

  async stop(): Promise<ServiceActionResult> {
    const availability = await this.availability();
    if (!availability.available)
      return { ...(await this.unavailable(availability.detail)), manual: { commands: [] } };
    if (!(await this.isLoaded())) return { outcome: "not-loaded", lines: [] };
    const result = await launchctl(["bootout", this.target()]);
    // A service that is already gone is stopped, which is what was asked.
    if (result.code !== 0 && !/not (loaded|found)|No such process/i.test(result.stderr)) {
      return { outcome: "failed", lines: [], error: `launchctl bootout failed: ${firstLine(result.stderr)}` };
    }
    return { outcome: "ok", lines: [`Stopped LaunchAgent: ${this.target()}`] };
  }

  async isLoaded(): Promise<boolean> {
    if (!(await this.availability()).available) return false;
    return (await launchctl(["print", this.target()])).code === 0;
  }

  private readPlist() {
    try {
      return parseLaunchdPlist(fs.readFileSync(this.filePath, "utf8"));
    } catch {
      return null;
    }
  }

  async readDefinition(): Promise<ServiceDefinition | null> {
    const parsed = this.readPlist();
    if (!parsed) return null;
    const command: ServiceCommand = {
      programArguments: parsed.programArguments,
      environment: parsed.environment,
      ...(parsed.workingDirectory ? { workingDirectory: parsed.workingDirectory } : {}),
      sourcePath: this.filePath,
    };
    return { command, launchd: parsed };
  }

  async readRuntime(): Promise<ServiceRuntime> {
    const availability = await this.availability();
    if (!availability.available) return { status: "unknown", detail: availability.detail };
    const result = await launchctl(["print", this.target()]);
    if (result.code !== 0) {
      return { status: "unknown", missingUnit: true, detail: firstLine(result.stderr) || "not loaded" };
    }
    const runtime = runtimeFromLaunchctlPrint(result.stdout);
    if (!fs.existsSync(this.filePath)) runtime.cachedLabel = true;
    return runtime;
  }
}
