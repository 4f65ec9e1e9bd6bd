import fs from "node:fs";
import type { CoderclawConfig } from "../../config/schema.js";
import type {
  ChannelAccessPolicy,
  ChannelAccount,
  ChannelGroupConfig,
  DmPolicy,
  GroupPolicy,
} from "../types.js";

export const TELEGRAM_DEFAULT_ACCOUNT = "default";
export const TELEGRAM_API_ROOT = "https://api.telegram.org";
export const TELEGRAM_TOKEN_ENV = "TELEGRAM_BOT_TOKEN";
/** Telegram's getUpdates accepts a long-poll timeout of up to 50 s; 30 s is the usual choice. */
export const POLL_TIMEOUT_DEFAULT_S = 30;
export const POLL_TIMEOUT_MAX_S = 50;

/** `<bot id>:<secret>`, as BotFather issues them; anything else never reaches a URL. */
const BOT_TOKEN = /^\d{1,20}:[A-Za-z0-9_-]{10,100}$/;
/** A numeric Telegram user id, with the `telegram:` / `tg:` prefixes users copy from elsewhere. */
const USER_ID = /^(?:telegram:|tg:)?(-?\d{1,20})$/i;

export type TokenSource = "config" | "tokenFile" | "env" | "none";

export interface TelegramAccount extends ChannelAccount {
  /** Empty when none is configured (or the token file cannot be used). */
  token: string;
  tokenSource: TokenSource;
  tokenFile: string | null;
  apiRoot: string;
  pollTimeoutSeconds: number;
  /** Why the account cannot start, or null. */
  problem: string | null;
}

type Section = Record<string, unknown>;

const isObject = (value: unknown): value is Section =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function telegramSection(cfg: CoderclawConfig): Section {
  const section = cfg.channels.telegram;
  return isObject(section) ? section : {};
}

function accountSections(cfg: CoderclawConfig): Section {
  const accounts = telegramSection(cfg).accounts;
  return isObject(accounts) ? accounts : {};
}

const own = (section: Section, key: string): unknown =>
  Object.prototype.hasOwnProperty.call(section, key) ? section[key] : undefined;

export function listTelegramAccountIds(cfg: CoderclawConfig, env: NodeJS.ProcessEnv): string[] {
  const hasSection = isObject(cfg.channels.telegram);
  const named = Object.keys(accountSections(cfg));
  if (named.length > 0) {
    const top = telegramSection(cfg);
    const defaultHasToken = own(top, "botToken") !== undefined || own(top, "tokenFile") !== undefined;
    return defaultHasToken && !named.includes(TELEGRAM_DEFAULT_ACCOUNT)
      ? [TELEGRAM_DEFAULT_ACCOUNT, ...named]
      : named;
  }
  return hasSection || env[TELEGRAM_TOKEN_ENV] ? [TELEGRAM_DEFAULT_ACCOUNT] : [];
}

export function defaultTelegramAccountId(cfg: CoderclawConfig, env: NodeJS.ProcessEnv): string {
  const ids = listTelegramAccountIds(cfg, env);
  const chosen = own(telegramSection(cfg), "defaultAccount");
  if (typeof chosen === "string" && ids.includes(chosen)) return chosen;
  return ids.includes(TELEGRAM_DEFAULT_ACCOUNT)
    ? TELEGRAM_DEFAULT_ACCOUNT
    : (ids[0] ?? TELEGRAM_DEFAULT_ACCOUNT);
}

/** `allowFrom` entries as numeric ids (prefixes dropped) and `*`; the first bad entry is a problem. */
function userIds(value: unknown, path: string): { ids: string[]; problem: string | null } {
  if (value === undefined) return { ids: [], problem: null };
  if (!Array.isArray(value)) return { ids: [], problem: `${path} must be an array` };
  const ids: string[] = [];
  for (const entry of value) {
    const text = String(entry).trim();
    if (text === "*") {
      ids.push("*");
      continue;
    }
    const match = USER_ID.exec(text);
    if (!match) return { ids, problem: `${path}: "${text}" is not a numeric Telegram user id or "*"` };
    ids.push(match[1] as string);
  }
  return { ids, problem: null };
}

/** Reads a token file that only its owner can read: a regular file (no symlink), not world-readable. */
export function readTokenFile(file: string): { token: string } | { problem: string } {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(file);
  } catch (error) {
    return { problem: `tokenFile ${file}: ${(error as NodeJS.ErrnoException).code ?? "unreadable"}` };
  }
  if (!stat.isFile()) return { problem: `tokenFile ${file} is not a regular file` };
  if ((stat.mode & 0o007) !== 0)
    return { problem: `tokenFile ${file} is readable by other users (chmod 600 ${file})` };
  if (stat.size > 4096) return { problem: `tokenFile ${file} is too large for a bot token` };
  try {
    return { token: fs.readFileSync(file, "utf8").trim() };
  } catch (error) {
    return { problem: `tokenFile ${file}: ${(error as NodeJS.ErrnoException).code ?? "unreadable"}` };
  }
}

function resolveToken(
  section: Section,
  accountId: string,
  env: NodeJS.ProcessEnv,
): { token: string; tokenSource: TokenSource; tokenFile: string | null; problem: string | null } {
  const botToken = own(section, "botToken");
  const tokenFile = own(section, "tokenFile");
  let token = "";
  let tokenSource: TokenSource = "none";
  if (botToken !== undefined) {
    if (typeof botToken !== "string")
      return { token, tokenSource, tokenFile: null, problem: "botToken must be a string" };
    [token, tokenSource] = [botToken.trim(), "config"];
  } else if (tokenFile !== undefined) {
    if (typeof tokenFile !== "string" || tokenFile === "")
      return { token, tokenSource, tokenFile: null, problem: "tokenFile must be a path" };
    const read = readTokenFile(tokenFile);
    if ("problem" in read) return { token, tokenSource: "tokenFile", tokenFile, problem: read.problem };
    [token, tokenSource] = [read.token, "tokenFile"];
  } else if (accountId === TELEGRAM_DEFAULT_ACCOUNT && env[TELEGRAM_TOKEN_ENV]) {
    [token, tokenSource] = [(env[TELEGRAM_TOKEN_ENV] as string).trim(), "env"];
  }
  const file = typeof tokenFile === "string" ? tokenFile : null;
  if (tokenSource === "none")
    return {
      token,
      tokenSource,
      tokenFile: file,
      problem: `no bot token (set botToken, tokenFile or ${TELEGRAM_TOKEN_ENV})`,
    };
  if (!BOT_TOKEN.test(token))
    return {
      token: "",
      tokenSource,
      tokenFile: file,
      problem: `the bot token (${tokenSource}) is not <id>:<secret>`,
    };
  return { token, tokenSource, tokenFile: file, problem: null };
}

function resolveApiRoot(value: unknown): { apiRoot: string; problem: string | null } {
  if (value === undefined) return { apiRoot: TELEGRAM_API_ROOT, problem: null };
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    return { apiRoot: TELEGRAM_API_ROOT, problem: "apiRoot must be an http(s) URL" };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    return { apiRoot: TELEGRAM_API_ROOT, problem: "apiRoot must be an http(s) URL" };
  const apiRoot = url.href.replace(/\/+$/, "");
  if (/\/bot[^/]*$/.test(url.pathname))
    return { apiRoot, problem: "apiRoot is the Bot API root only, without /bot<token>" };
  if (url.search || url.hash) return { apiRoot, problem: "apiRoot takes no query or fragment" };
  return { apiRoot, problem: null };
}

function resolvePollTimeout(value: unknown): { seconds: number; problem: string | null } {
  if (value === undefined) return { seconds: POLL_TIMEOUT_DEFAULT_S, problem: null };
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > POLL_TIMEOUT_MAX_S)
    return {
      seconds: POLL_TIMEOUT_DEFAULT_S,
      problem: `pollTimeoutSeconds must be an integer 1–${POLL_TIMEOUT_MAX_S}`,
    };
  return { seconds: value, problem: null };
}

/** Per-group entries; the section's `requireMention` is the default of every entry that has none. */
function resolveGroups(value: unknown, requireMention: unknown): Record<string, ChannelGroupConfig> {
  const groups: Record<string, ChannelGroupConfig> = Object.create(null);
  if (!isObject(value)) return groups;
  for (const [id, entry] of Object.entries(value)) {
    if (!isObject(entry)) continue;
    const group: ChannelGroupConfig = {};
    if (typeof entry.enabled === "boolean") group.enabled = entry.enabled;
    if (Array.isArray(entry.allowFrom)) group.allowFrom = userIds(entry.allowFrom, "").ids;
    if (typeof entry.requireMention === "boolean") group.requireMention = entry.requireMention;
    else if (typeof requireMention === "boolean") group.requireMention = requireMention;
    groups[id] = group;
  }
  return groups;
}

/**
 * One account: `channels.telegram` for the default account, `channels.telegram.accounts.<id>` over
 * it for a named one (a named account inherits the access keys and apiRoot, never a token).
 */
export function resolveTelegramAccount(
  cfg: CoderclawConfig,
  accountId: string,
  env: NodeJS.ProcessEnv,
): TelegramAccount {
  const top = telegramSection(cfg);
  const named = own(accountSections(cfg), accountId);
  const specific = isObject(named) ? named : {};
  const { botToken: _token, tokenFile: _file, accounts: _accounts, ...inherited } = top;
  const section: Section =
    accountId === TELEGRAM_DEFAULT_ACCOUNT && !isObject(named) ? top : { ...inherited, ...specific };
  const pick = (key: string) => own(section, key);

  const credentials = resolveToken(section, accountId, env);
  const apiRoot = resolveApiRoot(pick("apiRoot"));
  const pollTimeout = resolvePollTimeout(pick("pollTimeoutSeconds"));
  const allowFrom = userIds(pick("allowFrom"), "allowFrom");
  const groupAllowFrom =
    pick("groupAllowFrom") === undefined
      ? { ids: allowFrom.ids, problem: null }
      : userIds(pick("groupAllowFrom"), "groupAllowFrom");
  const dmPolicy = (pick("dmPolicy") as DmPolicy | undefined) ?? "pairing";
  const groupPolicy = (pick("groupPolicy") as GroupPolicy | undefined) ?? "allowlist";
  const policyProblem =
    dmPolicy === "allowlist" && allowFrom.ids.length === 0
      ? 'dmPolicy "allowlist" needs at least one id in allowFrom'
      : dmPolicy === "open" && !allowFrom.ids.includes("*")
        ? 'dmPolicy "open" needs "*" in allowFrom'
        : null;

  const access: ChannelAccessPolicy = {
    dmPolicy,
    allowFrom: allowFrom.ids,
    groupPolicy,
    groupAllowFrom: groupAllowFrom.ids,
    groups: resolveGroups(pick("groups"), pick("requireMention")),
  };
  return {
    accountId,
    ...(typeof pick("name") === "string" ? { name: pick("name") as string } : {}),
    enabled: pick("enabled") !== false,
    access,
    token: credentials.problem ? "" : credentials.token,
    tokenSource: credentials.tokenSource,
    tokenFile: credentials.tokenFile,
    apiRoot: apiRoot.apiRoot,
    pollTimeoutSeconds: pollTimeout.seconds,
    problem:
      credentials.problem ??
      apiRoot.problem ??
      pollTimeout.problem ??
      allowFrom.problem ??
      groupAllowFrom.problem ??
      policyProblem,
  };
}
