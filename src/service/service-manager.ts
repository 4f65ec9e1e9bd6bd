import fs from "node:fs";
import path from "node:path";
import type { Env } from "../config/paths.js";
import type { ParsedLaunchdPlist } from "./launchd-plist.js";
import { LaunchdService } from "./launchd-service.js";
import { launchdLabel, systemdUnitName } from "./service-names.js";
import type { Availability, SystemdScope } from "./systemctl.js";
import { SystemdService, systemdUnitPath } from "./systemd-service.js";
import type { ParsedSystemdUnit } from "./systemd-unit.js";

export type ServiceKind = "systemd" | "launchd" | "unsupported";

/** What an installed unit/plist runs (parsed back from the file). */
export interface ServiceCommand {
  programArguments: string[];
  environment: Record<string, string>;
  workingDirectory?: string;
  sourcePath: string;
}

/** The installed file, parsed: the command plus the manager-specific settings the audit checks. */
export interface ServiceDefinition {
  command: ServiceCommand;
  systemd?: ParsedSystemdUnit;
  launchd?: ParsedLaunchdPlist;
}

export interface ServiceRuntime {
  status: "running" | "stopped" | "unknown";
  state?: string;
  subState?: string;
  pid?: number;
  lastExitStatus?: number;
  lastExitReason?: string;
  detail?: string;
  missingUnit?: boolean;
  cachedLabel?: boolean;
}

export interface InstallPlan {
  description: string;
  programArguments: string[];
  environment: Record<string, string>;
  workingDirectory?: string;
  /** System units only: the account the gateway runs as. */
  user?: string;
  /** launchd writes stdout/stderr here (`gateway.log`, `gateway.err.log`). */
  logDir: string;
}

/** What to do by hand where no service manager answers: the file we wrote and the commands to run. */
export interface ManualSteps {
  file?: string;
  content?: string;
  commands: string[];
}

export interface ServiceActionResult {
  outcome: "ok" | "unavailable" | "failed" | "not-loaded";
  /** The manager's report, line by line (`Installed systemd service: ...`). */
  lines: string[];
  /** Why the action failed or the manager is unavailable. */
  error?: string;
  manual?: ManualSteps;
}

export interface ServiceManager {
  readonly kind: ServiceKind;
  /** `Service: <displayName> (...)` in `gateway status`. */
  readonly displayName: string;
  /** Unit name or launchd label. */
  readonly label: string;
  readonly filePath: string;
  readonly loadedText: string;
  readonly notLoadedText: string;
  readonly scope?: SystemdScope;
  availability(): Promise<Availability>;
  render(plan: InstallPlan): string;
  install(plan: InstallPlan): Promise<ServiceActionResult>;
  uninstall(): Promise<ServiceActionResult>;
  /** Starts (or restarts, if already running) a loaded service. */
  start(): Promise<ServiceActionResult>;
  stop(): Promise<ServiceActionResult>;
  restart(): Promise<ServiceActionResult>;
  /** Whether the manager knows the service (enabled / bootstrapped); false when unavailable. */
  isLoaded(): Promise<boolean>;
  /** The installed unit/plist parsed back, or null when there is none. */
  readDefinition(): Promise<ServiceDefinition | null>;
  readRuntime(): Promise<ServiceRuntime>;
  /** Commands that start the gateway by hand (used in hints). */
  manualStartCommands(): string[];
  /** Where the manager's logs are read (`journalctl ...` or the launchd log files). */
  logHints(): string[];
}

/** Platforms without a supported manager: every action reports the foreground alternative. */
class UnsupportedService implements ServiceManager {
  readonly kind = "unsupported" as const;
  readonly displayName = "none";
  readonly filePath = "";
  readonly loadedText = "unsupported";
  readonly notLoadedText = "unsupported";
  constructor(
    readonly label: string,
    private readonly platform: NodeJS.Platform,
  ) {}
  async availability(): Promise<Availability> {
    return { available: false, detail: `service management is not supported on ${this.platform}` };
  }
  render(): string {
    return "";
  }
  private async unavailable(): Promise<ServiceActionResult> {
    const detail = `service management is not supported on ${this.platform}`;
    return { outcome: "unavailable", lines: [], error: detail, manual: { commands: [] } };
  }
  install = () => this.unavailable();
  uninstall = () => this.unavailable();
  start = () => this.unavailable();
  stop = () => this.unavailable();
  restart = () => this.unavailable();
  async isLoaded(): Promise<boolean> {
    return false;
  }
  async readDefinition(): Promise<ServiceDefinition | null> {
    return null;
  }
  async readRuntime(): Promise<ServiceRuntime> {
    return { status: "unknown", detail: "no service manager" };
  }
  manualStartCommands(): string[] {
    return [];
  }
  logHints(): string[] {
    return [];
  }
}

export interface ResolveServiceOptions {
  env?: Env;
  platform?: NodeJS.Platform;
  /** systemd only: force the system scope (`--system`); otherwise an existing unit decides. */
  system?: boolean;
}

/**
 * The user scope unless asked for `--system`, or unless only a system unit of this name exists
 * (so `gateway stop` finds a gateway installed with `--system`).
 */
export function resolveSystemdScope(env: Env, system: boolean | undefined): SystemdScope {
  if (system) return "system";
  const unit = systemdUnitName(env);
  if (fs.existsSync(systemdUnitPath("user", unit, env))) return "user";
  return fs.existsSync(systemdUnitPath("system", unit, env)) ? "system" : "user";
}

export function resolveServiceManager(options: ResolveServiceOptions = {}): ServiceManager {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  if (platform === "linux") {
    return new SystemdService(systemdUnitName(env), resolveSystemdScope(env, options.system), env);
  }
  if (platform === "darwin") return new LaunchdService(launchdLabel(env), env);
  return new UnsupportedService(path.basename(systemdUnitName(env), ".service"), platform);
}
