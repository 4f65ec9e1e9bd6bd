import type { ConfigSnapshot } from "./load.js";
import { activeProfile, DEFAULT_GATEWAY_PORT, DEV_GATEWAY_PORT, type Env } from "./paths.js";

export interface ResolvedPort {
  port: number;
  /** Where it came from, as users read it: `cli --port`, `env CODERCLAW_GATEWAY_PORT`, `config gateway.port`, … */
  source: string;
}

/** CODERCLAW_GATEWAY_PORT when it holds a usable port (an invalid value is ignored). */
export function portFromEnv(env: Env): number | undefined {
  const port = Number.parseInt(env.CODERCLAW_GATEWAY_PORT ?? "", 10);
  return Number.isInteger(port) && port > 0 && port <= 65535 ? port : undefined;
}

/**
 * REFERENCE §2.3: `--port` → CODERCLAW_GATEWAY_PORT → (the `dev` profile's 19001) → gateway.port →
 * 18789. `configPort` is undefined when the config file does not exist.
 */
export function resolveGatewayPort(
  flag: number | undefined,
  env: Env,
  configPort: number | undefined,
): ResolvedPort {
  if (flag !== undefined) return { port: flag, source: "cli --port" };
  const fromEnv = portFromEnv(env);
  if (fromEnv !== undefined) return { port: fromEnv, source: "env CODERCLAW_GATEWAY_PORT" };
  // Upstream pins the dev port ahead of the config file; kept, but named for what it is.
  if (activeProfile(env) === "dev") return { port: DEV_GATEWAY_PORT, source: "dev profile" };
  if (configPort !== undefined) return { port: configPort, source: "config gateway.port" };
  return { port: DEFAULT_GATEWAY_PORT, source: "default" };
}

/** `gateway.port` as the file sets it (undefined when the file does not: the schema default is no choice). */
export function configuredGatewayPort(snapshot: ConfigSnapshot): number | undefined {
  const gateway = snapshot.parsed.gateway;
  const port =
    typeof gateway === "object" && gateway !== null ? (gateway as Record<string, unknown>).port : undefined;
  return typeof port === "number" ? snapshot.config.gateway.port : undefined;
}
