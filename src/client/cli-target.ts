import { pickGatewaySecret, secretSourceLabel } from "../config/gateway-secrets.js";
import { configuredGatewayPort, portFromEnv, resolveGatewayPort } from "../config/gateway-port.js";
import { readConfigSnapshot } from "../config/load.js";
import { resolveConfigPath, type Env } from "../config/paths.js";
import { redactUrl } from "../config/redact.js";
import { pinFor } from "./local-tls.js";
import { isLoopbackHost } from "../transport/net.js";
import {
  readRuntimeRecord,
  runtimeRecordPathFor,
  runtimeRecordUrl,
  type GatewayRuntimeRecord,
} from "../host/runtime-record.js";

export interface TargetFlags {
  url?: string;
  /** A local gateway's port (`ws://127.0.0.1:<port>`), with the local credentials. */
  port?: number;
  token?: string;
  password?: string;
}

export interface CliTarget {
  url: string;
  urlSource: string;
  token?: string;
  password?: string;
  /** Where the credentials came from (`cli --token`, `env CODERCLAW_GATEWAY_TOKEN`, `config gateway.auth.token`, `none`). */
  credentialSource: string;
  /** The SHA-256 fingerprint the gateway's certificate must have (wss only). */
  tlsFingerprint?: string;
  configPath: string;
  /** The bind mode: the running gateway's when the target is it, else the config's. */
  bind: string;
  /** The running gateway's record when the target is that gateway (it says where its secret came from). */
  runtime: GatewayRuntimeRecord | null;
  /** The lines appended to every connection error, so the operator sees what was tried. */
  describe(): string;
}

interface Credentials {
  token?: string;
  password?: string;
  credentialSource: string;
}

/** Flag > env > config (config/gateway-secrets.ts), the rule the gateway applies too; `--url` takes flags only. */
function resolveCredentials(
  flags: TargetFlags,
  env: Env,
  configured: { token: string | null; password: string | null; key: "auth" | "remote" },
): Credentials {
  const explicitOnly = Boolean(flags.url);
  const token = pickGatewaySecret(
    flags.token,
    explicitOnly ? undefined : env.CODERCLAW_GATEWAY_TOKEN,
    explicitOnly ? null : configured.token,
  );
  const password = pickGatewaySecret(
    flags.password,
    explicitOnly ? undefined : env.CODERCLAW_GATEWAY_PASSWORD,
    explicitOnly ? null : configured.password,
  );
  // A token found earlier in the order than the password is what the command presents, and vice versa.
  const rank = { cli: 0, env: 1, config: 2 } as const;
  const useToken = token && (!password || rank[token.origin] <= rank[password.origin]);
  if (useToken) {
    return {
      token: token.value,
      credentialSource: secretSourceLabel("token", token.origin, `gateway.${configured.key}.token`),
    };
  }
  if (password) {
    return {
      password: password.value,
      credentialSource: secretSourceLabel("password", password.origin, `gateway.${configured.key}.password`),
    };
  }
  return { credentialSource: "none" };
}

/** Whether a URL points at this host's loopback on `port` (then it is the local gateway of that record). */
function namesLocalPort(url: string, port: number): boolean {
  try {
    const parsed = new URL(url);
    return Number(parsed.port) === port && isLoopbackHost(parsed.hostname);
  } catch {
    return false;
  }
}

/** Which gateway a CLI command talks to, and with which credentials (REFERENCE §2.3, §9.2). */
export function resolveCliTarget(flags: TargetFlags, env: Env = process.env): CliTarget {
  const configPath = resolveConfigPath(env);
  const snapshot = readConfigSnapshot(configPath);
  const gateway = snapshot.config.gateway;
  const remote = gateway.mode === "remote";
  const record = readRuntimeRecord(configPath);
  const scheme = gateway.tls.enabled ? "wss" : "ws";
  let runtime: GatewayRuntimeRecord | null = null;
  let url: string;
  let urlSource: string;
  if (flags.url) {
    url = flags.url;
    urlSource = "cli --url";
    runtime = record && namesLocalPort(flags.url, record.port) ? record : null;
  } else if (flags.port !== undefined) {
    runtime = record?.port === flags.port ? record : null;
    url = runtime ? runtimeRecordUrl(runtime) : `${scheme}://127.0.0.1:${flags.port}`;
    urlSource = "cli --port";
  } else if (remote && gateway.remote.url) {
    url = gateway.remote.url;
    urlSource = "config gateway.remote.url";
  } else if (record && portFromEnv(env) === undefined) {
    runtime = record;
    url = runtimeRecordUrl(record);
    urlSource = `running gateway pid ${record.pid}`;
  } else {
    const port = resolveGatewayPort(undefined, env, configuredGatewayPort(snapshot)).port;
    runtime = record?.port === port ? record : null;
    url = `${scheme}://127.0.0.1:${port}`;
    urlSource = remote ? "missing gateway.remote.url (fallback local)" : "local loopback";
  }
  // A remote-mode CLI presents the remote secrets, unless `--port` points it at a local gateway.
  const credentials = resolveCredentials(
    flags,
    env,
    remote && flags.port === undefined
      ? { token: gateway.remote.token, password: gateway.remote.password, key: "remote" }
      : { token: gateway.auth.token, password: gateway.auth.password, key: "auth" },
  );
  const bind = runtime?.bind ?? gateway.bind;
  // The running gateway's record names the certificate it serves; else the local files or the remote pin.
  const tlsFingerprint =
    (/^wss:/i.test(url) ? runtime?.tls.fingerprint : undefined) ??
    pinFor(url, snapshot, !flags.url && !(remote && gateway.remote.url), env);
  return {
    url,
    urlSource,
    ...credentials,
    ...(tlsFingerprint ? { tlsFingerprint } : {}),
    configPath,
    bind,
    runtime,
    describe: () =>
      [
        `Gateway target: ${redactUrl(url)}`,
        `Source: ${urlSource}`,
        `Config: ${configPath}`,
        `Bind: ${bind}`,
        ...(runtime ? [`Runtime record: ${runtimeRecordPathFor(configPath)}`] : []),
      ].join("\n"),
  };
}
