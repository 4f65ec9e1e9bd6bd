import type { ChannelAccountSnapshot, ChannelsStatus } from "../methods/channels.js";
import { formatAge } from "./format-age.js";

/** `- IRC default: enabled, configured, running, connected, in:5s, out:5s, dm:pairing, works` (REFERENCE §1.11). */
export function channelAccountLine(
  account: ChannelAccountSnapshot,
  label: string,
  now: number = Date.now(),
): string {
  const parts = [
    account.enabled ? "enabled" : "disabled",
    account.configured ? "configured" : "not configured",
  ];
  if (typeof account.linked === "boolean") parts.push(account.linked ? "linked" : "not linked");
  parts.push(account.running ? "running" : account.state === "reconnecting" ? "reconnecting" : "stopped");
  parts.push(account.connected ? "connected" : "disconnected");
  if (account.lastInboundAt) parts.push(`in:${formatAge(now - account.lastInboundAt)}`);
  if (account.lastOutboundAt) parts.push(`out:${formatAge(now - account.lastOutboundAt)}`);
  if (account.mode) parts.push(`mode:${account.mode}`);
  if (account.self) parts.push(`as:${account.self}`);
  if (account.dmPolicy) parts.push(`dm:${account.dmPolicy}`);
  if (account.allowFrom.length > 0) parts.push(`allow:${account.allowFrom.join(",")}`);
  if (typeof account.tokenSource === "string") parts.push(`token:${account.tokenSource}`);
  if (account.probe) parts.push(account.probe.ok ? "works" : "probe failed");
  if (account.state === "reconnecting" && account.nextAttemptAt) {
    parts.push(`attempt ${account.reconnectAttempts}, next in ${formatAge(account.nextAttemptAt - now)}`);
  }
  const error =
    account.probe && !account.probe.ok ? (account.probe.error ?? account.lastError) : account.lastError;
  if (error) parts.push(`error:${error}`);
  return `- ${label} ${account.accountId}: ${parts.join(", ")}`;
}

/** One line per account in channel order, or `No channels configured.` */
export function channelStatusLines(
  status: Pick<ChannelsStatus, "channelOrder" | "channelAccounts" | "channelLabels">,
  now: number = Date.now(),
): string[] {
  const lines = status.channelOrder.flatMap((channel) =>
    (status.channelAccounts[channel] ?? []).map((account) =>
      channelAccountLine(account, status.channelLabels[channel] ?? channel, now),
    ),
  );
  return lines.length > 0 ? lines : ["No channels configured."];
}
