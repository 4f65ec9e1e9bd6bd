import fs from "node:fs";
import path from "node:path";
import type { Env } from "../config/paths.js";
import { LaunchdService } from "./launchd-service.js";
import type {
  ServiceActionResult,
  ServiceDefinition,
  ServiceManager,
  ServiceRuntime,
} from "./service-manager.js";
import { launchdLabel, systemdUnitName } from "./service-names.js";
import type { Availability, SystemdScope } from "./systemctl.js";
import { SystemdService, systemdUnitPath } from "./systemd-service.js";

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
