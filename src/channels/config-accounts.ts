import type { CoderclawConfig } from "../config/schema.js";
import type { AnyChannelPlugin } from "./types.js";

/** A channel account as the config alone describes it (the gateway may be down). */
export interface ConfiguredAccount {
  channel: string;
  label: string;
  accountId: string;
  isDefault: boolean;
  enabled: boolean;
  configured: boolean;
  /** Why it is disabled or not configured. */
  reason: string | null;
  dmPolicy: string;
}

export function configuredAccounts(
  plugins: readonly AnyChannelPlugin[],
  config: CoderclawConfig,
  env: NodeJS.ProcessEnv,
): ConfiguredAccount[] {
  return plugins.flatMap((plugin) => {
    const defaultId = plugin.config.defaultAccountId(config, env);
    return plugin.config.listAccountIds(config, env).map((accountId) => {
      const account = plugin.config.resolveAccount(config, accountId, env);
      const enabled = plugin.config.isEnabled(account);
      const configured = plugin.config.isConfigured(account);
      const reason = !enabled
        ? (plugin.config.disabledReason?.(account) ?? "disabled")
        : !configured
          ? (plugin.config.unconfiguredReason?.(account) ?? "not configured")
          : null;
      return {
        channel: plugin.id,
        label: plugin.meta.label,
        accountId,
        isDefault: accountId === defaultId,
        enabled,
        configured,
        reason,
        dmPolicy: account.access.dmPolicy,
      };
    });
  });
}

/** `- IRC default: enabled, configured, dm:pairing` */
export function configuredAccountLine(account: ConfiguredAccount): string {
  const parts = [
    account.enabled ? "enabled" : "disabled",
    account.configured ? "configured" : "not configured",
    `dm:${account.dmPolicy}`,
  ];
  if (account.reason && account.reason !== "disabled") parts.push(`error:${account.reason}`);
  return `- ${account.label} ${account.accountId}${account.isDefault ? " (default)" : ""}: ${parts.join(", ")}`;
}
