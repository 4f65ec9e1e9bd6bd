import os from "node:os";
import path from "node:path";

export type Env = NodeJS.ProcessEnv;

export const DEFAULT_GATEWAY_PORT = 18789;
export const DEV_GATEWAY_PORT = 19001;
export const CONFIG_FILE_NAME = "coderclaw.json";

const PROFILE_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/i;

export function isValidProfileName(name: string): boolean {
  return PROFILE_PATTERN.test(name);
}

/** The profile in force, or undefined for the default one (`default` in any case counts as none). */
export function activeProfile(env: Env = process.env): string | undefined {
  const profile = env.CODERCLAW_PROFILE?.trim();
  if (!profile || profile.toLowerCase() === "default") return undefined;
  return profile;
}

export function resolveHomeDir(env: Env = process.env): string {
  return env.CODERCLAW_HOME?.trim() || env.HOME?.trim() || os.homedir();
}

export function expandHome(p: string, env: Env = process.env): string {
  if (p === "~") return resolveHomeDir(env);
  if (p.startsWith("~/")) return path.join(resolveHomeDir(env), p.slice(2));
  return p;
}

export function resolveStateDir(env: Env = process.env): string {
  const explicit = env.CODERCLAW_STATE_DIR?.trim();
  if (explicit) return path.resolve(expandHome(explicit, env));
  const profile = activeProfile(env);
  const home = resolveHomeDir(env);
  return path.join(home, profile ? `.coderclaw-${profile}` : ".coderclaw");
}

export function resolveConfigPath(env: Env = process.env): string {
  const explicit = env.CODERCLAW_CONFIG_PATH?.trim();
  if (explicit) return path.resolve(expandHome(explicit, env));
  return path.join(resolveStateDir(env), CONFIG_FILE_NAME);
}

/** Workspaces live under `~/.coderclaw` even for named profiles (REFERENCE §1.2). */
export function resolveDefaultWorkspace(env: Env = process.env): string {
  const profile = activeProfile(env);
  return path.join(resolveHomeDir(env), ".coderclaw", profile ? `workspace-${profile}` : "workspace");
}

export function resolveLogDir(stateDir: string): string {
  return path.join(stateDir, "logs");
}

/**
 * Fills only unset variables, as the upstream profile loader does: the state dir and config path
 * follow the profile unless the operator pinned them. (The `dev` port is a default of the profile,
 * not an env var, so an env var always means the operator set it: config/gateway-port.ts.)
 */
export function applyProfileEnv(profile: string, env: Env = process.env): void {
  env.CODERCLAW_PROFILE = profile;
  const isDefault = profile.toLowerCase() === "default";
  if (!env.CODERCLAW_STATE_DIR?.trim()) {
    env.CODERCLAW_STATE_DIR = path.join(
      resolveHomeDir(env),
      isDefault ? ".coderclaw" : `.coderclaw-${profile}`,
    );
  }
  if (!env.CODERCLAW_CONFIG_PATH?.trim()) {
    env.CODERCLAW_CONFIG_PATH = path.join(env.CODERCLAW_STATE_DIR, CONFIG_FILE_NAME);
  }
}

/** `coderclaw` or `coderclaw --profile <p>`, for hints that name a command to run next. */
export function cliCommand(rest: string, env: Env = process.env): string {
  const profile = activeProfile(env);
  const prefix =
    profile === "dev" ? "coderclaw --dev" : profile ? `coderclaw --profile ${profile}` : "coderclaw";
  return `${prefix} ${rest}`;
}
