import { readConfigSnapshot } from "../config/load.js";
import { resolveConfigPath, type Env } from "../config/paths.js";
import { resolvePort } from "../host/launch.js";
import { redactUrl } from "../config/redact.js";
import { pinFor } from "./local-tls.js";

export interface TargetFlags {
  url?: string;
  token?: string;
  password?: string;
}

export interface CliTarget {
  url: string;
  urlSource: string;
  token?: string;
  password?: string;
  credentialSource: string;
  /** The SHA-256 fingerprint the gateway's certificate must have (wss only). */
  tlsFingerprint?: string;
  configPath: string;
  bind: string;
  /** The lines appended to every connection error, so the operator sees what was tried. */
  describe(): string;
}

/** Which gateway a CLI command talks to, and with which credentials (REFERENCE §2.3, §9.2). */
export function resolveCliTarget(flags: TargetFlags, env: Env = process.env): CliTarget {
  const configPath = resolveConfigPath(env);
  const snapshot = readConfigSnapshot(configPath);
  const gateway = snapshot.config.gateway;
  const remote = gateway.mode === "remote";
  let url: string;
  let urlSource: string;
  if (flags.url) {
    url = flags.url;
    urlSource = "cli --url";
  } else if (remote && gateway.remote.url) {
    url = gateway.remote.url;
    urlSource = "config gateway.remote.url";
  } else {
    const scheme = gateway.tls.enabled ? "wss" : "ws";
    url = `${scheme}://127.0.0.1:${resolvePort(undefined, env, snapshot.exists ? gateway.port : undefined)}`;
    urlSource = remote ? "missing gateway.remote.url (fallback local)" : "local loopback";
  }
  let token = flags.token;
  let password = flags.password;
  let credentialSource = token || password ? "cli flags" : "none";
  if (!flags.url && !token && !password) {
    if (env.CODERCLAW_GATEWAY_TOKEN?.trim()) {
      token = env.CODERCLAW_GATEWAY_TOKEN.trim();
      credentialSource = "env CODERCLAW_GATEWAY_TOKEN";
    } else if (env.CODERCLAW_GATEWAY_PASSWORD?.trim()) {
      password = env.CODERCLAW_GATEWAY_PASSWORD.trim();
      credentialSource = "env CODERCLAW_GATEWAY_PASSWORD";
    } else if (remote) {
      token = gateway.remote.token ?? undefined;
      password = gateway.remote.password ?? undefined;
      credentialSource = "config gateway.remote";
    } else {
      token = gateway.auth.token ?? undefined;
      password = gateway.auth.password ?? undefined;
      credentialSource = token || password ? "config gateway.auth" : "none";
    }
  }
  const tlsFingerprint = pinFor(url, snapshot, !flags.url && !(remote && gateway.remote.url), env);
  return {
    url,
    urlSource,
    token,
    password,
    credentialSource,
    ...(tlsFingerprint ? { tlsFingerprint } : {}),
    configPath,
    bind: gateway.bind,
    describe: () =>
      [
        `Gateway target: ${redactUrl(url)}`,
        `Source: ${urlSource}`,
        `Config: ${configPath}`,
        `Bind: ${gateway.bind}`,
      ].join("\n"),
  };
}
