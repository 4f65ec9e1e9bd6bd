import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { configInvalidLines } from "../config/config-invalid.js";
import { resolveGatewayPort } from "../config/gateway-port.js";
import { readConfigSnapshot, type ConfigSnapshot } from "../config/load.js";
import {
  activeProfile,
  cliCommand,
  resolveConfigPath,
  resolveDefaultWorkspace,
  resolveLogDir,
  resolveStateDir,
  type Env,
} from "../config/paths.js";
import type { BindMode, CoderclawConfig } from "../config/schema.js";
import { setAtPath, writeConfigFile } from "../config/write.js";
import { resolveGatewayAuth, type GatewayAuth } from "../transport/auth.js";
import { isLoopbackHost, resolveListenPlan, type ListenPlan } from "../transport/net.js";
import type { WsLogStyle } from "../log/logger.js";
import { forceFreePort } from "./port-owner.js";

export interface GatewayRunFlags {
  port?: string;
  bind?: string;
  auth?: string;
  token?: string;
  password?: string;
  allowUnconfigured?: boolean;
  dev?: boolean;
  reset?: boolean;
  force?: boolean;
  verbose?: boolean;
  wsLog?: string;
  compact?: boolean;
}

export interface LaunchPlan {
  configPath: string;
  stateDir: string;
  snapshot: ConfigSnapshot;
  port: number;
  bind: BindMode;
  listenPlan: ListenPlan;
  auth: GatewayAuth;
  logFile: string;
  wsLog: WsLogStyle;
  /** Set when this start generated the token and wrote it to the config. */
  generatedToken: boolean;
}

/** A refusal to start: the lines to print (stderr) and exit code 1. */
export class LaunchError extends Error {
  readonly code = "GATEWAY_START_BLOCKED";
  constructor(readonly lines: string[]) {
    super(lines.join("\n"));
  }
}

const BIND_MODES: readonly BindMode[] = ["loopback", "lan", "tailnet", "auto", "custom"];

function parsePortFlag(value: string): number {
  const port = Number.parseInt(value, 10);
  // 0 asks the OS for a free port (tests, side-by-side runs); the real port is printed and exported.
  if (!Number.isInteger(port) || port < 0 || port > 65535 || String(port) !== value.trim()) {
    throw new LaunchError(["Invalid port"]);
  }
  return port;
}

/** `--port` → CODERCLAW_GATEWAY_PORT (invalid values ignored) → gateway.port → 18789 (config/gateway-port.ts). */
export function resolvePort(flag: string | undefined, env: Env, configPort: number | undefined): number {
  return resolveGatewayPort(flag === undefined ? undefined : parsePortFlag(flag), env, configPort).port;
}

function ensureDevConfig(configPath: string, env: Env, reset: boolean, out: (line: string) => void): void {
  if (fs.existsSync(configPath) && !reset) return;
  const profileWorkspace = resolveDefaultWorkspace(env);
  const workspace = activeProfile(env) === "dev" ? profileWorkspace : `${profileWorkspace}-dev`;
  writeConfigFile(
    configPath,
    {
      gateway: { mode: "local", bind: "loopback" },
      agents: { defaults: { workspace }, list: [{ id: "dev", default: true, workspace }] },
    },
    {
      auditLogPath: path.join(resolveLogDir(resolveStateDir(env)), "config-audit.jsonl"),
      source: "gateway --dev",
    },
  );
  fs.mkdirSync(workspace, { recursive: true });
  out(`Dev config ready: ${configPath}`);
  out(`Dev workspace ready: ${workspace}`);
}

/**
 * REFERENCE §1.3 "order of checks": everything `coderclaw gateway` verifies before it takes the
 * lock and listens. Throws LaunchError with the exact lines to print.
 */
export async function prepareLaunch(
  flags: GatewayRunFlags,
  env: Env,
  out: (line: string) => void,
  log: (line: string) => void,
): Promise<LaunchPlan> {
  const devMode = Boolean(flags.dev) || activeProfile(env) === "dev";
  if (flags.reset && !devMode) throw new LaunchError(["Use --reset with --dev."]);
  const wsLog = (flags.compact ? "compact" : (flags.wsLog ?? "auto")) as WsLogStyle;
  if (!["auto", "full", "compact"].includes(wsLog)) {
    throw new LaunchError(['Invalid --ws-log (use "auto", "full", "compact")']);
  }
  const stateDir = resolveStateDir(env);
  const configPath = resolveConfigPath(env);
  if (devMode) ensureDevConfig(configPath, env, Boolean(flags.reset), out);

  let snapshot = readConfigSnapshot(configPath);
  if (!snapshot.valid) throw new LaunchError(configInvalidLines(snapshot, env));
  const config = snapshot.config;

  const port = resolvePort(flags.port, env, snapshot.exists ? config.gateway.port : undefined);
  if (flags.force && port > 0) {
    try {
      await forceFreePort(port, { log });
    } catch (error) {
      throw new LaunchError([`Force: ${(error as Error).message}`]);
    }
  }
  if (flags.auth !== undefined && flags.auth !== "token" && flags.auth !== "password") {
    throw new LaunchError(['Invalid --auth (use "token" or "password")']);
  }
  if (!flags.allowUnconfigured && config.gateway.mode !== "local") {
    if (!snapshot.exists) {
      throw new LaunchError([
        `Missing config. Run \`${cliCommand("setup", env)}\` or set gateway.mode=local (or pass --allow-unconfigured).`,
      ]);
    }
    throw new LaunchError([
      `Gateway start blocked: set gateway.mode=local (current: ${config.gateway.mode ?? "unset"}) or pass --allow-unconfigured.`,
      configAuditLine(stateDir),
    ]);
  }
  const listener = resolveListenerAndAuth(config, flags, env);
  const { bind, listenPlan } = listener;
  let auth = listener.auth;
  // In trusted-proxy mode the proxy authenticates; a token would be a second, unused way in.
  const hasSecret = hasAuthSecret(auth);
  if (!hasSecret && !isLoopbackHost(listenPlan.host)) throw new LaunchError(noAuthLines(listenPlan, port));
  let generatedToken = false;
  if (!hasSecret) {
    // Auth is always on: a loopback gateway with no secret gets one, kept in its own config.
    const token = randomBytes(24).toString("hex");
    writeConfigFile(configPath, setAtPath(snapshot.parsed, "gateway.auth.token", token), {
      auditLogPath: path.join(resolveLogDir(stateDir), "config-audit.jsonl"),
      source: "gateway auth token",
    });
    snapshot = readConfigSnapshot(configPath);
    auth = resolveGatewayAuth(snapshot.config, {}, env);
    generatedToken = true;
  }
  const logFile = resolveLogFile(snapshot.config, stateDir);
  return { configPath, stateDir, snapshot, port, bind, listenPlan, auth, logFile, wsLog, generatedToken };
}

/** Who last wrote the config is in the audit log; it exists only once something wrote the config. */
function configAuditLine(stateDir: string): string {
  const auditLog = path.join(resolveLogDir(stateDir), "config-audit.jsonl");
  return fs.existsSync(auditLog)
    ? `Config write audit: ${auditLog}`
    : "Config write audit: none yet (no command has written this config)";
}

export function resolveLogFile(config: CoderclawConfig, stateDir: string): string {
  return config.logging.file ?? path.join(resolveLogDir(stateDir), "gateway.log");
}

export function noAuthLines(listenPlan: ListenPlan, port: number): string[] {
  return [
    `refusing to bind gateway to ${listenPlan.host}:${port} without auth (set gateway.auth.token/password, or set CODERCLAW_GATEWAY_TOKEN/CODERCLAW_GATEWAY_PASSWORD)`,
    "Set gateway.auth.token/password (or CODERCLAW_GATEWAY_TOKEN/CODERCLAW_GATEWAY_PASSWORD) or pass --token/--password.",
  ];
}

/**
 * Bind mode, listen plan and auth from a config, flags winning (`--bind`, `--auth`, `--token`,
 * `--password`), then env for secrets. Throws LaunchError for a combination the gateway refuses.
 */
export function resolveListenerAndAuth(
  config: CoderclawConfig,
  flags: GatewayRunFlags,
  env: Env,
): { bind: BindMode; listenPlan: ListenPlan; auth: GatewayAuth } {
  const bind = (flags.bind ?? config.gateway.bind) as BindMode;
  if (!BIND_MODES.includes(bind)) {
    throw new LaunchError(['Invalid --bind (use "loopback", "lan", "tailnet", "auto", or "custom")']);
  }
  const listenPlan = resolveListenPlan(bind, config.gateway.customBindHost);
  const auth = resolveGatewayAuth(
    config,
    { mode: flags.auth as "token" | "password" | undefined, token: flags.token, password: flags.password },
    env,
  );
  if (auth.mode === "password" && !auth.password) {
    throw new LaunchError([
      "Gateway auth is set to password, but no password is configured.",
      "Set gateway.auth.password (or CODERCLAW_GATEWAY_PASSWORD), or pass --password.",
    ]);
  }
  if (auth.mode === "trusted-proxy") checkTrustedProxyMode(config, listenPlan);
  return { bind, listenPlan, auth };
}

/** Whether the gateway would have a way to authenticate clients (it never runs without one). */
export function hasAuthSecret(auth: GatewayAuth): boolean {
  return auth.mode === "trusted-proxy" || Boolean(auth.token || auth.password);
}

/** REFERENCE §2.6: auth mode "trusted-proxy" needs a non-loopback listener, the proxies, and the user header. */
function checkTrustedProxyMode(config: CoderclawConfig, listenPlan: ListenPlan): void {
  if (isLoopbackHost(listenPlan.host)) {
    throw new LaunchError([
      "gateway auth mode=trusted-proxy makes no sense with bind=loopback; use bind=lan or bind=custom with gateway.trustedProxies configured",
    ]);
  }
  if (config.gateway.trustedProxies.length === 0) {
    throw new LaunchError([
      "gateway auth mode=trusted-proxy requires gateway.trustedProxies to be configured with at least one proxy IP",
    ]);
  }
  if (!config.gateway.auth.trustedProxy) {
    throw new LaunchError([
      "gateway auth mode=trusted-proxy requires gateway.auth.trustedProxy.userHeader (the header that names the user)",
    ]);
  }
}
