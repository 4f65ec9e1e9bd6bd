import { readConfigSnapshot } from "../config/load.js";
import { resolveConfigPath, type Env } from "../config/paths.js";
import { portFromEnv } from "../config/gateway-port.js";
import { resolvePort } from "../host/launch.js";
import { dialHost, readRuntimeRecord } from "../host/runtime-record.js";
import { normalizeBasePath } from "../http/control-ui.js";
import { resolveGatewayAuth, type EffectiveAuthMode } from "../transport/auth.js";
import { resolveListenPlan } from "../transport/net.js";
import { probeTarget } from "./probe-target.js";

export interface DashboardTarget {
  enabled: boolean;
  /** The page without any secret: `http://<host>:<port><basePath>/`. */
  url: string;
  port: number;
  /** The shared token the gateway accepts, when it uses one (the environment first, then the config). */
  token: string | null;
  authMode: EffectiveAuthMode;
  configPath: string;
}

/** Where the local gateway serves its Control UI (REFERENCE §7.6: host per bind, like the probe host). */
export function resolveDashboard(env: Env): DashboardTarget {
  const snapshot = readConfigSnapshot(resolveConfigPath(env));
  const gateway = snapshot.config.gateway;
  // The running gateway's record says where it really listens, unless the env var points elsewhere.
  const record = portFromEnv(env) === undefined ? readRuntimeRecord(snapshot.path) : null;
  const port = record?.port ?? resolvePort(undefined, env, snapshot.exists ? gateway.port : undefined);
  const bindHost = resolveListenPlan(gateway.bind, gateway.customBindHost).host;
  const host = record ? dialHost(record) : probeTarget(gateway.bind, bindHost, port).host;
  const scheme = (record ? record.tls.enabled : gateway.tls.enabled) ? "https" : "http";
  const hostPart = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  const auth = resolveGatewayAuth(snapshot.config, {}, env);
  return {
    enabled: gateway.controlUi.enabled,
    url: `${scheme}://${hostPart}:${port}${normalizeBasePath(gateway.controlUi.basePath)}/`,
    port,
    token: auth.mode === "token" ? auth.token : null,
    authMode: auth.mode,
    configPath: snapshot.path,
  };
}

/** The token rides in the fragment, which the browser keeps to itself (never sent, never logged). */
export function dashboardLink(target: DashboardTarget): string {
  return target.token ? `${target.url}#token=${encodeURIComponent(target.token)}` : target.url;
}
