import type { ParsedLaunchdPlist } from "./launchd-plist.js";
import type { Availability, SystemdScope } from "./systemctl.js";
import type { ParsedSystemdUnit } from "./systemd-unit.js";

// What a service manager (systemd, launchd, or none) offers the gateway commands, whichever the platform has.

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
