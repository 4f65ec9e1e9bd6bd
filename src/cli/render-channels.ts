import type { ChannelAccountStatus, ChannelsStatus } from "../methods/channels.js";
import { formatAge } from "./format-age.js";

/** `- Telegram default: enabled, configured, running, connected, in:5m, ...` (REFERENCE §1.11). */
export function channelAccountLine(
  account: ChannelAccountStatus,
  label: string,
  now: number = Date.now(),
): string {
  const parts = [
    account.enabled ? "enabled" : "disabled",
    account.configured ? "configured" : "not configured",
  ];
  if (account.linked !== undefined) parts.push(account.linked ? "linked" : "not linked");
  parts.push(account.running ? "running" : "stopped");
  if (account.connected !== undefined) parts.push(account.connected ? "connected" : "disconnected");
  if (account.lastInboundAt) parts.push(`in:${formatAge(now - account.lastInboundAt)}`);
  if (account.lastOutboundAt) parts.push(`out:${formatAge(now - account.lastOutboundAt)}`);
  if (account.mode) parts.push(`mode:${account.mode}`);
  if (account.botUsername) parts.push(`bot:@${account.botUsername}`);
  if (account.dmPolicy) parts.push(`dm:${account.dmPolicy}`);
  if (account.allowFrom && account.allowFrom.length > 0) parts.push(`allow:${account.allowFrom.join(",")}`);
  if (account.tokenSource) parts.push(`token:${account.tokenSource}`);
  if (account.probe) parts.push(account.probe.ok ? "works" : "probe failed");
  if (account.audit) parts.push(account.audit.ok ? "audit ok" : "audit failed");
  if (account.lastError) parts.push(`error:${account.lastError}`);
  return `- ${label} ${account.accountId}: ${parts.join(", ")}`;
}

/** One line per account, or `No channels configured.` */
export function channelStatusLines(status: Pick<ChannelsStatus, "accounts" | "channelLabels">): string[] {
  if (status.accounts.length === 0) return ["No channels configured."];
  return status.accounts.map((account) =>
    channelAccountLine(account, status.channelLabels[account.channel] ?? account.channel),
  );
}
