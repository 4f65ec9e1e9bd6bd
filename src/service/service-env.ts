import os from "node:os";
import path from "node:path";
import {
  activeProfile,
  resolveConfigPath,
  resolveHomeDir,
  resolveStateDir,
  type Env,
} from "../config/paths.js";

export interface ServiceEnvironmentInput {
  /** The environment paths are resolved from (the installing shell's, possibly with a profile applied). */
  env: Env;
  port: number;
  /** Pinned as CODERCLAW_GATEWAY_TOKEN when given (the service gateway takes it over the config's). */
  token?: string | null;
  /** Pinned as CODERCLAW_GATEWAY_PASSWORD when given. */
  password?: string | null;
  version: string;
  platform?: NodeJS.Platform;
  /** The Node binary the service runs; its directory leads PATH so child tools find the same Node. */
  execPath?: string;
  systemdUnit?: string;
  launchdLabel?: string;
}

/** The variables `gateway status` may show: they locate the instance and carry no secret. */
export const SAFE_SERVICE_ENV_KEYS = [
  "CODERCLAW_PROFILE",
  "CODERCLAW_STATE_DIR",
  "CODERCLAW_CONFIG_PATH",
  "CODERCLAW_GATEWAY_PORT",
  "CODERCLAW_NIX_MODE",
] as const;

export const SERVICE_MARKER = "coderclaw";
export const SERVICE_KIND = "gateway";

/** Directories that must be on a service PATH for ordinary tools to resolve. */
export const REQUIRED_PATH_DIRS = ["/usr/local/bin", "/usr/bin", "/bin"] as const;

/**
 * A short, predictable PATH (REFERENCE §4.3): the Node binary's own directory, the usual per-user
 * bin dirs of package/version managers, then the system dirs. A login shell's PATH is not copied.
 */
export function minimalPathDirs(
  env: Env,
  execPath: string = process.execPath,
  platform: NodeJS.Platform = process.platform,
): string[] {
  const home = resolveHomeDir(env);
  const fromEnv = (name: string, suffix = ""): string[] => {
    const value = env[name]?.trim();
    return value ? [suffix ? path.join(value, suffix) : value] : [];
  };
  const dirs = [
    path.dirname(execPath),
    path.join(home, ".local", "bin"),
    path.join(home, ".npm-global", "bin"),
    path.join(home, "bin"),
    path.join(home, ".volta", "bin"),
    path.join(home, ".asdf", "shims"),
    path.join(home, ".bun", "bin"),
    ...fromEnv("PNPM_HOME"),
    ...fromEnv("NPM_CONFIG_PREFIX", "bin"),
    ...fromEnv("BUN_INSTALL", "bin"),
    ...fromEnv("VOLTA_HOME", "bin"),
    ...fromEnv("ASDF_DATA_DIR", "shims"),
    path.join(home, ".nvm", "current", "bin"),
    path.join(home, ".fnm", "current", "bin"),
    ...(platform === "darwin"
      ? [path.join(home, "Library", "pnpm"), "/opt/homebrew/bin"]
      : [path.join(home, ".local", "share", "pnpm")]),
    ...REQUIRED_PATH_DIRS,
  ];
  return [...new Set(dirs)];
}

/**
 * What the service process runs with (REFERENCE §4.3): home, temp dir, a minimal PATH, and the
 * profile, state dir, config path and port pinned, so the service finds the same instance as the CLI
 * that installed it. Empty values are dropped.
 */
export function buildServiceEnvironment(input: ServiceEnvironmentInput): Record<string, string> {
  const { env } = input;
  const platform = input.platform ?? process.platform;
  const stateDir = resolveStateDir(env);
  const entries: Array<[string, string | null | undefined]> = [
    ["HOME", resolveHomeDir(env)],
    // The instance lock lives under the temp dir; pinning it keeps the CLI and the service agreeing.
    ["TMPDIR", env.TMPDIR?.trim() || os.tmpdir()],
    ["PATH", minimalPathDirs(env, input.execPath, platform).join(path.delimiter)],
    ["CODERCLAW_PROFILE", activeProfile(env)],
    ["CODERCLAW_STATE_DIR", stateDir],
    ["CODERCLAW_CONFIG_PATH", resolveConfigPath(env)],
    ["CODERCLAW_GATEWAY_PORT", String(input.port)],
    ["CODERCLAW_GATEWAY_TOKEN", input.token],
    ["CODERCLAW_GATEWAY_PASSWORD", input.password],
    ["CODERCLAW_LAUNCHD_LABEL", platform === "darwin" ? input.launchdLabel : undefined],
    ["CODERCLAW_SYSTEMD_UNIT", platform === "linux" ? input.systemdUnit : undefined],
    ["CODERCLAW_SERVICE_MARKER", SERVICE_MARKER],
    ["CODERCLAW_SERVICE_KIND", SERVICE_KIND],
    ["CODERCLAW_SERVICE_VERSION", input.version],
  ];
  const environment: Record<string, string> = {};
  for (const [key, value] of entries) {
    const trimmed = value?.trim();
    if (trimmed) environment[key] = trimmed;
  }
  return environment;
}

/** Only the keys that are safe to print or put in JSON. */
export function safeServiceEnvironment(
  environment: Record<string, string> | undefined,
): Record<string, string> {
  const safe: Record<string, string> = {};
  for (const key of SAFE_SERVICE_ENV_KEYS) {
    const value = environment?.[key];
    if (value !== undefined) safe[key] = value;
  }
  return safe;
}
