/**
 * The one rule for the gateway's token and password, applied by the gateway when it starts and by
 * every CLI command that connects to it: an explicit flag, then the environment, then the config.
 */
export type SecretKind = "token" | "password";
export type SecretOrigin = "cli" | "env" | "config" | "generated";

export const SECRET_ENV_VARS = {
  token: "CODERCLAW_GATEWAY_TOKEN",
  password: "CODERCLAW_GATEWAY_PASSWORD",
} as const;

export interface PickedSecret {
  value: string;
  origin: Exclude<SecretOrigin, "generated">;
}

/** `--token`/`--password`, then CODERCLAW_GATEWAY_TOKEN/_PASSWORD, then the config value. */
export function pickGatewaySecret(
  flag: string | undefined,
  env: string | undefined,
  config: string | null | undefined,
): PickedSecret | null {
  if (flag?.trim()) return { value: flag, origin: "cli" };
  if (env?.trim()) return { value: env.trim(), origin: "env" };
  if (config) return { value: config, origin: "config" };
  return null;
}

/** Where a secret came from, as users read it (never the secret): `env CODERCLAW_GATEWAY_TOKEN`. */
export function secretSourceLabel(
  kind: SecretKind,
  origin: SecretOrigin,
  configKey = `gateway.auth.${kind}`,
): string {
  switch (origin) {
    case "cli":
      return `cli --${kind}`;
    case "env":
      return `env ${SECRET_ENV_VARS[kind]}`;
    case "config":
      return `config ${configKey}`;
    case "generated":
      return `generated, stored at config ${configKey}`;
  }
}
