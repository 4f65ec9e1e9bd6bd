import type { ChannelAccessPolicy, ChannelGroupConfig, InboundMessage } from "./types.js";

export type AccessDecision =
  | { kind: "allow" }
  | { kind: "drop"; reason: string }
  /** An unknown DM sender under `pairing`: it gets a code, its message is not processed. */
  | { kind: "pair" };

export interface AccessInput {
  policy: ChannelAccessPolicy;
  message: InboundMessage;
  /** Whether an allowlist entry names this sender. */
  matches(entry: string): boolean;
  /** Whether the sender was approved through pairing on this account. */
  approved(): boolean;
}

function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** The group's own entry, else the `*` entry. */
export function groupEntry(
  groups: Record<string, ChannelGroupConfig>,
  groupId: string,
): ChannelGroupConfig | undefined {
  return own(groups, groupId) ?? own(groups, groupId.toLowerCase()) ?? own(groups, "*");
}

/**
 * Whether a message may reach an agent (openclaw-docs channels/groups.md, pairing.md). DMs: `dmPolicy`
 * with `allowFrom` (plus pairing approvals under `pairing`). Groups: `groupPolicy` decides which groups
 * (`allowlist`: those under `groups`), the group's `allowFrom` or else `groupAllowFrom` who in them
 * (an empty list lets everyone in an allowed group), and mentions are required unless the group says
 * `requireMention: false`.
 */
export function checkAccess({ policy, message, matches, approved }: AccessInput): AccessDecision {
  const listed = (list: readonly string[]) => list.some((entry) => matches(entry));
  if (message.peer.kind === "direct") {
    switch (policy.dmPolicy) {
      case "disabled":
        return { kind: "drop", reason: "dm-disabled" };
      case "open":
        return { kind: "allow" };
      case "allowlist":
        return listed(policy.allowFrom) ? { kind: "allow" } : { kind: "drop", reason: "dm-not-allowed" };
      case "pairing":
        return listed(policy.allowFrom) || approved() ? { kind: "allow" } : { kind: "pair" };
    }
  }
  if (policy.groupPolicy === "disabled") return { kind: "drop", reason: "groups-disabled" };
  const group = groupEntry(policy.groups, message.peer.id);
  if (policy.groupPolicy === "allowlist" && !group) return { kind: "drop", reason: "group-not-allowed" };
  if (group?.enabled === false) return { kind: "drop", reason: "group-disabled" };
  const senders = group?.allowFrom ?? policy.groupAllowFrom;
  if (senders.length > 0 && !listed(senders)) return { kind: "drop", reason: "sender-not-allowed" };
  if ((group?.requireMention ?? true) && !message.mentioned)
    return { kind: "drop", reason: "missing-mention" };
  return { kind: "allow" };
}
