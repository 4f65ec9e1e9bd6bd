import { timingSafeEqual } from "node:crypto";
import { pickGatewaySecret } from "../config/gateway-secrets.js";
import type { CoderclawConfig } from "../config/schema.js";

export type EffectiveAuthMode = "none" | "token" | "password" | "trusted-proxy";
export type SecretSource = "cli" | "config" | "env" | "generated";

export interface GatewayAuth {
  mode: EffectiveAuthMode;
  token: string | null;
  password: string | null;
  tokenSource: SecretSource | null;
  passwordSource: SecretSource | null;
}

export interface AuthOverrides {
  mode?: "token" | "password";
  token?: string;
  password?: string;
}

function pick(
  cli: string | undefined,
  config: string | null,
  env: string | undefined,
): [string | null, SecretSource | null] {
  const picked = pickGatewaySecret(cli, env, config);
  return picked ? [picked.value, picked.origin] : [null, null];
}

/** CLI overrides > environment > config: the same rule the CLI applies (config/gateway-secrets.ts). */
export function resolveGatewayAuth(
  config: CoderclawConfig,
  overrides: AuthOverrides = {},
  env: NodeJS.ProcessEnv = process.env,
): GatewayAuth {
  const [token, tokenSource] = pick(overrides.token, config.gateway.auth.token, env.CODERCLAW_GATEWAY_TOKEN);
  const [password, passwordSource] = pick(
    overrides.password,
    config.gateway.auth.password,
    env.CODERCLAW_GATEWAY_PASSWORD,
  );
  const explicit = overrides.mode ?? config.gateway.auth.mode;
  const mode: EffectiveAuthMode = explicit ?? (password ? "password" : token ? "token" : "none");
  return { mode, token, password, tokenSource, passwordSource };
}

export type AuthFailureReason =
  | "token_missing"
  | "token_mismatch"
  | "token_missing_config"
  | "password_missing"
  | "password_mismatch"
  | "password_missing_config"
  | "rate_limited"
  | "unauthorized";

export type AuthResult =
  | { ok: true; method: "token" | "password" | "trusted-proxy" }
  /** `retryAfterMs`: with reason `rate_limited`, how long the lockout still lasts. */
  | { ok: false; reason: AuthFailureReason; retryAfterMs?: number };

/** Compares two secrets in constant time. */
export function safeEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  // Compare against itself on length mismatch so the timing does not reveal the length.
  if (a.length !== b.length) return timingSafeEqual(b, b) && false;
  return timingSafeEqual(a, b);
}

export function authorizeSecret(auth: GatewayAuth, given: { token?: string; password?: string }): AuthResult {
  if (auth.mode === "token") {
    if (!auth.token) return { ok: false, reason: "token_missing_config" };
    if (!given.token) return { ok: false, reason: "token_missing" };
    return safeEqual(given.token, auth.token)
      ? { ok: true, method: "token" }
      : { ok: false, reason: "token_mismatch" };
  }
  if (auth.mode === "password") {
    if (!auth.password) return { ok: false, reason: "password_missing_config" };
    if (!given.password) return { ok: false, reason: "password_missing" };
    return safeEqual(given.password, auth.password)
      ? { ok: true, method: "password" }
      : { ok: false, reason: "password_mismatch" };
  }
  return { ok: false, reason: "unauthorized" };
}

function hintFor(clientId: string, clientMode: string, kind: "token" | "password"): string {
  if (clientMode === "cli" || clientId === "cli") {
    return `set gateway.remote.${kind} to match gateway.auth.${kind}`;
  }
  if (clientId === "coderclaw-control-ui" || clientId === "webchat-ui" || clientMode === "webchat") {
    return `enter the gateway ${kind} in the Control UI sign-in form, or open it with coderclaw dashboard`;
  }
  return `provide gateway auth ${kind}`;
}

/** REFERENCE §5.3: the message a client sees for each failure reason. */
export function unauthorizedMessage(reason: AuthFailureReason, client: { id: string; mode: string }): string {
  switch (reason) {
    case "token_missing":
      return `unauthorized: gateway token missing (${hintFor(client.id, client.mode, "token")})`;
    case "token_mismatch":
      return `unauthorized: gateway token mismatch (${hintFor(client.id, client.mode, "token")})`;
    case "token_missing_config":
      return "unauthorized: gateway token not configured on gateway (set gateway.auth.token)";
    case "password_missing":
      return `unauthorized: gateway password missing (${hintFor(client.id, client.mode, "password")})`;
    case "password_mismatch":
      return `unauthorized: gateway password mismatch (${hintFor(client.id, client.mode, "password")})`;
    case "password_missing_config":
      return "unauthorized: gateway password not configured on gateway (set gateway.auth.password)";
    case "rate_limited":
      return "unauthorized: too many failed authentication attempts (retry later)";
    case "unauthorized":
      return "unauthorized";
  }
}
