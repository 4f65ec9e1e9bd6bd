import type { ConfigSnapshot } from "../config/load.js";
import { DEFAULT_GATEWAY_PORT, type Env } from "../config/paths.js";
import type { BindMode } from "../config/schema.js";
import type { GatewayAuth } from "../transport/auth.js";
import { isLoopbackHost, type ListenPlan } from "../transport/net.js";
import { resolveTlsFiles } from "../config/tls-files.js";
import { checkTlsFiles, GatewayTlsError } from "../transport/gateway-tls.js";
import {
  hasAuthSecret,
  LaunchError,
  noAuthLines,
  resolveListenerAndAuth,
  resolveLogFile,
  resolvePort,
  type GatewayRunFlags,
} from "./launch.js";

/** What one gateway instance runs with: its config and everything resolved from it, flags and env. */
export interface InstanceSettings {
  snapshot: ConfigSnapshot;
  port: number;
  bind: BindMode;
  listenPlan: ListenPlan;
  auth: GatewayAuth;
  logFile: string;
}

/** A config value a flag or env var overrides: the file may say otherwise, the flag wins. */
export interface Pin {
  path: string;
  source: string;
  value: string;
}

export type RestartSettings =
  { ok: true; settings: InstanceSettings; pins: Pin[] } | { ok: false; reason: string };

function validPortEnv(env: Env): boolean {
  const port = Number.parseInt(env.CODERCLAW_GATEWAY_PORT ?? "", 10);
  return Number.isInteger(port) && port > 0 && port <= 65535;
}

/** The values flags and env pin, whatever the file says (secrets are named, never shown). */
function pinsOf(flags: GatewayRunFlags, env: Env, port: number, bind: BindMode): Pin[] {
  const pins: Pin[] = [];
  if (flags.port !== undefined) pins.push({ path: "gateway.port", source: "--port", value: String(port) });
  else if (validPortEnv(env))
    pins.push({ path: "gateway.port", source: "CODERCLAW_GATEWAY_PORT", value: String(port) });
  if (flags.bind !== undefined) pins.push({ path: "gateway.bind", source: "--bind", value: bind });
  if (flags.auth !== undefined) pins.push({ path: "gateway.auth.mode", source: "--auth", value: flags.auth });
  if (flags.token) pins.push({ path: "gateway.auth.token", source: "--token", value: "set" });
  if (flags.password) pins.push({ path: "gateway.auth.password", source: "--password", value: "set" });
  return pins;
}

/**
 * The settings of the next in-process instance: port, bind, listen plan, auth and log file re-resolved
 * from the config file as it is now, with the same precedence as a launch (flags, then env, then the
 * file). `--port 0` keeps the port the first instance bound, so clients find the gateway again.
 * A file that is invalid, or that the gateway would refuse to start with (a TLS certificate it cannot
 * use included), is refused with the reason.
 */
export function resolveRestartSettings(
  fresh: ConfigSnapshot,
  flags: GatewayRunFlags,
  env: Env,
  stateDir: string,
  boundPort: number,
): RestartSettings {
  if (!fresh.valid) {
    const problems = fresh.issues.map((issue) => `${issue.path || "<root>"}: ${issue.message}`).join(", ");
    return { ok: false, reason: `config invalid (${problems})` };
  }
  const config = fresh.config;
  try {
    const resolved = resolvePort(flags.port, env, fresh.exists ? config.gateway.port : DEFAULT_GATEWAY_PORT);
    const port = resolved === 0 ? boundPort : resolved;
    const { bind, listenPlan, auth } = resolveListenerAndAuth(config, flags, env);
    if (!hasAuthSecret(auth)) {
      if (!isLoopbackHost(listenPlan.host)) throw new LaunchError(noAuthLines(listenPlan, port));
      throw new LaunchError(["no gateway.auth.token or gateway.auth.password is configured"]);
    }
    const tlsFiles = resolveTlsFiles(config, fresh.path, stateDir, env);
    if (tlsFiles) checkTlsFiles(tlsFiles, config.gateway.tls.autoGenerate);
    return {
      ok: true,
      settings: { snapshot: fresh, port, bind, listenPlan, auth, logFile: resolveLogFile(config, stateDir) },
      pins: pinsOf(flags, env, port, bind),
    };
  } catch (error) {
    if (error instanceof LaunchError) return { ok: false, reason: error.lines[0] ?? error.message };
    if (error instanceof GatewayTlsError) return { ok: false, reason: error.message };
    throw error;
  }
}
