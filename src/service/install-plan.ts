import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { readConfigSnapshot } from "../config/load.js";
import { cliCommand, resolveConfigPath, resolveLogDir, resolveStateDir, type Env } from "../config/paths.js";
import { setAtPath, writeConfigFile } from "../config/write.js";
import { LaunchError, resolvePort } from "../host/launch.js";
import { packageInfo } from "../config/package-info.js";
import { gatewayProgramArguments } from "./program-args.js";
import { buildServiceEnvironment } from "./service-env.js";
import type { InstallPlan } from "./service-manager.js";
import { launchdLabel, serviceDescription, systemdUnitName } from "./service-names.js";

export interface InstallPlanInput {
  env: Env;
  port?: string;
  token?: string;
  /** A system unit: runs as the invoking user (SUDO_USER when run through sudo). */
  system?: boolean;
  platform?: NodeJS.Platform;
  /** Only validate (Nix guard, port); generate and save nothing. */
  dryRun?: boolean;
}

export interface ResolvedInstall {
  plan: InstallPlan;
  port: number;
  configPath: string;
  /** Lines to print before installing (`No gateway token found. ...`). */
  notes: string[];
  warnings: string[];
}

/** A refusal to install, with the message to print. */
export class InstallPlanError extends Error {
  readonly code = "SERVICE_INSTALL_REFUSED";
}

function homeOf(user: string): string | undefined {
  try {
    for (const line of fs.readFileSync("/etc/passwd", "utf8").split("\n")) {
      const fields = line.split(":");
      if (fields[0] === user) return fields[5];
    }
  } catch {
    // no passwd file: keep the current HOME
  }
  return undefined;
}

/** `sudo coderclaw gateway install --system` installs for the user who ran sudo, with their home. */
function systemAccount(env: Env): { user: string; env: Env } {
  const sudoUser = env.SUDO_USER?.trim();
  if (sudoUser && sudoUser !== "root") {
    const home = homeOf(sudoUser);
    return { user: sudoUser, env: home && !env.CODERCLAW_HOME ? { ...env, HOME: home } : env };
  }
  return { user: os.userInfo().username, env };
}

/**
 * REFERENCE §1.9 install steps 1–5: Nix guard, port, token (generated and saved when none exists),
 * then the unit's command and pinned environment.
 */
export function resolveInstall(input: InstallPlanInput): ResolvedInstall {
  const platform = input.platform ?? process.platform;
  if (input.env.CODERCLAW_NIX_MODE === "1") {
    throw new InstallPlanError("Nix mode detected; service install is disabled.");
  }
  const account = input.system ? systemAccount(input.env) : { user: undefined, env: input.env };
  const env = account.env;
  const configPath = resolveConfigPath(env);
  const stateDir = resolveStateDir(env);
  const snapshot = readConfigSnapshot(configPath);
  const configPort = snapshot.exists ? snapshot.config.gateway.port : undefined;
  let port: number;
  try {
    port = resolvePort(input.port, env, configPort);
  } catch (error) {
    if (error instanceof LaunchError) throw new InstallPlanError("Invalid port");
    throw error;
  }
  if (port === 0) throw new InstallPlanError("Invalid port");

  const notes: string[] = [];
  const warnings: string[] = [];
  let generatedToken: string | null = null;
  // The service gateway reads the same config as the CLI, so it pins only what the config does not
  // hold: `--token`, or this shell's env secret (which the CLI takes over the config, as the gateway will).
  const configToken = snapshot.config.gateway.auth.token;
  const envToken = env.CODERCLAW_GATEWAY_TOKEN?.trim() || null;
  const pinnedToken = input.token || envToken;
  const pinnedPassword = env.CODERCLAW_GATEWAY_PASSWORD?.trim() || null;
  const password = snapshot.config.gateway.auth.password || pinnedPassword;
  const cliToken = envToken ?? configToken;
  if (input.token && cliToken && input.token !== cliToken) {
    const cliSource = envToken ? "CODERCLAW_GATEWAY_TOKEN" : `gateway.auth.token in ${configPath}`;
    warnings.push(
      `--token differs from ${cliSource}, which CLI commands send; the service gateway uses the --token value (pinned as CODERCLAW_GATEWAY_TOKEN), so pass it to them with --token or CODERCLAW_GATEWAY_TOKEN.`,
    );
  } else if (!input.token && envToken && envToken !== configToken) {
    notes.push(
      "The service pins CODERCLAW_GATEWAY_TOKEN from this shell: it wins over gateway.auth.token, for the service gateway as for the CLI.",
    );
  }
  if (!pinnedToken && !configToken && !password && !input.dryRun) {
    const token = randomBytes(24).toString("hex");
    if (snapshot.exists && !snapshot.valid) {
      // Only the unit can carry it then: the config cannot be written.
      warnings.push(`Config ${configPath} is invalid; the generated token was not saved to it.`);
      generatedToken = token;
    } else {
      writeConfigFile(configPath, setAtPath(snapshot.parsed, "gateway.auth.token", token), {
        auditLogPath: path.join(resolveLogDir(stateDir), "config-audit.jsonl"),
        source: "gateway install",
      });
      notes.push("No gateway token found. Auto-generated one and saving to config.");
    }
  }
  if (snapshot.config.gateway.mode !== "local") {
    warnings.push(
      `gateway.mode is ${snapshot.config.gateway.mode ?? "unset"} in ${configPath}; the service will not start until it is "local" (${cliCommand("config set gateway.mode local", env)}).`,
    );
  }

  const version = packageInfo().version;
  const environment = buildServiceEnvironment({
    env,
    port,
    token: pinnedToken ?? generatedToken,
    password: pinnedPassword,
    version,
    platform,
    systemdUnit: systemdUnitName(env),
    launchdLabel: launchdLabel(env),
  });
  const plan: InstallPlan = {
    description: serviceDescription(version, env),
    programArguments: gatewayProgramArguments({ port }),
    environment,
    logDir: resolveLogDir(stateDir),
    ...(account.user ? { user: account.user } : {}),
  };
  return { plan, port, configPath, notes, warnings };
}
