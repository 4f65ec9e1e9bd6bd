import type { ConfigIssue } from "./config-issue.js";

/** `bindings[]`: which agent a channel's messages go to (first match of the most specific tier wins). */
export interface ChannelBinding {
  agentId: string;
  match: {
    channel: string;
    accountId?: string;
    peer?: { kind: "direct" | "group" | "channel"; id: string };
  };
}

export type DmScope = "main" | "per-peer" | "per-channel-peer" | "per-account-channel-peer";

const DM_POLICIES = ["pairing", "allowlist", "open", "disabled"];
const GROUP_POLICIES = ["allowlist", "open", "disabled"];
const PEER_KINDS = ["direct", "group", "channel"];
/** Channel and account ids: names, never `__proto__` and friends. */
export const CHANNEL_ID = /^[a-z][a-z0-9-]{0,31}$/;
export const ACCOUNT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const isStringList = (value: unknown) =>
  Array.isArray(value) && value.every((item) => typeof item === "string");

/** The access keys every channel shares, at a channel's or an account's level. */
function accessIssues(section: Record<string, unknown>, prefix: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const check = (key: string, ok: boolean, message: string) => {
    if (section[key] !== undefined && !ok) issues.push({ path: `${prefix}.${key}`, message });
  };
  check("enabled", typeof section.enabled === "boolean", "must be a boolean");
  check(
    "dmPolicy",
    DM_POLICIES.includes(section.dmPolicy as string),
    `must be one of ${DM_POLICIES.join(", ")}`,
  );
  check(
    "groupPolicy",
    GROUP_POLICIES.includes(section.groupPolicy as string),
    `must be one of ${GROUP_POLICIES.join(", ")}`,
  );
  check("allowFrom", isStringList(section.allowFrom), "must be an array of strings");
  check("groupAllowFrom", isStringList(section.groupAllowFrom), "must be an array of strings");
  check("requireMention", typeof section.requireMention === "boolean", "must be a boolean");
  if (section.groups !== undefined) {
    if (!isObject(section.groups)) {
      issues.push({ path: `${prefix}.groups`, message: "must be an object" });
    } else {
      for (const [name, group] of Object.entries(section.groups)) {
        const path = `${prefix}.groups.${name}`;
        if (!isObject(group)) {
          issues.push({ path, message: "must be an object" });
          continue;
        }
        if (group.allowFrom !== undefined && !isStringList(group.allowFrom))
          issues.push({ path: `${path}.allowFrom`, message: "must be an array of strings" });
        for (const key of ["requireMention", "enabled"] as const) {
          if (group[key] !== undefined && typeof group[key] !== "boolean")
            issues.push({ path: `${path}.${key}`, message: "must be a boolean" });
        }
      }
    }
  }
  return issues;
}

/**
 * `channels.<id>` sections: the shared access keys, and `accounts.<accountId>` objects with the same
 * keys. Each channel checks its own keys (host, token, ...) when it resolves an account; an account
 * whose values it cannot use is reported "not configured" with the reason.
 */
export function channelsIssues(value: unknown): ConfigIssue[] {
  if (value === undefined) return [];
  if (!isObject(value)) return [{ path: "channels", message: "must be an object" }];
  const issues: ConfigIssue[] = [];
  for (const [channelId, section] of Object.entries(value)) {
    const prefix = `channels.${channelId}`;
    if (!CHANNEL_ID.test(channelId)) {
      issues.push({ path: prefix, message: "not a channel id (lowercase letters, digits, -)" });
      continue;
    }
    if (!isObject(section)) {
      issues.push({ path: prefix, message: "must be an object" });
      continue;
    }
    issues.push(...accessIssues(section, prefix));
    if (section.accounts === undefined) continue;
    if (!isObject(section.accounts)) {
      issues.push({ path: `${prefix}.accounts`, message: "must be an object" });
      continue;
    }
    for (const [accountId, account] of Object.entries(section.accounts)) {
      const accountPath = `${prefix}.accounts.${accountId}`;
      if (!ACCOUNT_ID.test(accountId))
        issues.push({ path: accountPath, message: "not an account id (letters, digits, _ and -)" });
      else if (!isObject(account)) issues.push({ path: accountPath, message: "must be an object" });
      else issues.push(...accessIssues(account, accountPath));
    }
  }
  return issues;
}

export function bindingsIssues(value: unknown): ConfigIssue[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return [{ path: "bindings", message: "must be an array" }];
  const issues: ConfigIssue[] = [];
  value.forEach((binding, index) => {
    const path = `bindings[${index}]`;
    if (!isObject(binding)) return issues.push({ path, message: "must be an object" });
    if (typeof binding.agentId !== "string" || binding.agentId === "")
      issues.push({ path: `${path}.agentId`, message: "must be a non-empty string" });
    const match = binding.match;
    if (!isObject(match)) return issues.push({ path: `${path}.match`, message: "must be an object" });
    if (typeof match.channel !== "string" || !CHANNEL_ID.test(match.channel))
      issues.push({ path: `${path}.match.channel`, message: "must be a channel id" });
    if (
      match.accountId !== undefined &&
      (typeof match.accountId !== "string" || !ACCOUNT_ID.test(match.accountId))
    )
      issues.push({ path: `${path}.match.accountId`, message: "must be an account id" });
    if (match.peer !== undefined) {
      const peer = match.peer;
      if (!isObject(peer) || !PEER_KINDS.includes(peer.kind as string) || typeof peer.id !== "string")
        issues.push({ path: `${path}.match.peer`, message: `must be {kind: ${PEER_KINDS.join("|")}, id}` });
    }
    return undefined;
  });
  return issues;
}
