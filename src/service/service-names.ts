import { activeProfile, type Env } from "../config/paths.js";

const SYSTEMD_BASE = "coderclaw-gateway";
const LAUNCHD_DEFAULT = "ai.coderclaw.gateway";

/**
 * `coderclaw-gateway.service` or `coderclaw-gateway-<profile>.service` (REFERENCE §4.1).
 * `CODERCLAW_SYSTEMD_UNIT` overrides it for every action, install included (upstream only honoured it
 * for some, which let install and stop disagree on the unit).
 */
export function systemdUnitName(env: Env = process.env): string {
  const override = env.CODERCLAW_SYSTEMD_UNIT?.trim();
  if (override) return override.endsWith(".service") ? override : `${override}.service`;
  const profile = activeProfile(env);
  return profile ? `${SYSTEMD_BASE}-${profile}.service` : `${SYSTEMD_BASE}.service`;
}

/** `ai.coderclaw.gateway` or `ai.coderclaw.<profile>`; `CODERCLAW_LAUNCHD_LABEL` overrides it. */
export function launchdLabel(env: Env = process.env): string {
  const override = env.CODERCLAW_LAUNCHD_LABEL?.trim();
  if (override) return override;
  const profile = activeProfile(env);
  return profile ? `ai.coderclaw.${profile}` : LAUNCHD_DEFAULT;
}

/** The unit Description / plist Comment. */
export function serviceDescription(version: string, env: Env = process.env): string {
  const profile = activeProfile(env);
  return profile ? `CoderClaw Gateway (profile: ${profile}, v${version})` : `CoderClaw Gateway (v${version})`;
}
