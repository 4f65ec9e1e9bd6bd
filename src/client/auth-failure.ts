import type { CliTarget } from "./cli-target.js";

const AUTH_FAILURE = /^unauthorized: gateway (token|password) (mismatch|missing)\b.*$/;

/** `env CODERCLAW_GATEWAY_TOKEN` → `token`. */
function kindOf(source: string): string {
  return /password/i.test(source) ? "password" : "token";
}

/**
 * A rejected token or password, said with where each side took its secret from: the CLI's own
 * source, and the gateway's from its runtime record. Other errors pass through unchanged.
 */
export function explainAuthFailure(
  message: string,
  target: Pick<CliTarget, "credentialSource" | "runtime">,
): string {
  const [first = "", ...rest] = message.split("\n");
  const match = AUTH_FAILURE.exec(first);
  if (!match) return message;
  const [, kind, problem] = match;
  const sent =
    target.credentialSource === "none"
      ? "this command sent no credentials"
      : `this command sent the ${kindOf(target.credentialSource)} from ${target.credentialSource}`;
  const gatewaySource = target.runtime?.auth.source;
  const theirs = gatewaySource
    ? `the gateway uses ${gatewaySource}`
    : "where the gateway's secret comes from is unknown (no runtime record for this target)";
  return [
    `gateway ${kind} ${problem}: ${sent}; ${theirs}`,
    `Fix: the CLI and the gateway both take --${kind}, then CODERCLAW_GATEWAY_${kind!.toUpperCase()}, then gateway.auth.${kind} in the config; give both the same ${kind}.`,
    ...rest,
  ].join("\n");
}
