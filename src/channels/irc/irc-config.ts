import type { CoderclawConfig } from "../../config/schema.js";
import type {
  ChannelAccessPolicy,
  ChannelAccount,
  ChannelGroupConfig,
  DmPolicy,
  GroupPolicy,
} from "../types.js";

export interface IrcAccount extends ChannelAccount {
  host: string | null;
  port: number;
  tls: boolean;
  nick: string | null;
  username: string;
  realname: string;
  password: string | null;
  channels: string[];
  nickserv: {
    enabled: boolean;
    service: string;
    password: string | null;
    register: boolean;
    registerEmail: string | null;
  };
  dangerouslyAllowNameMatching: boolean;
  /** Why the account cannot start: unusable values, or what is missing. */
  problems: string[];
}

const KNOWN_KEYS = new Set([
  "enabled",
  "name",
  "host",
  "port",
  "tls",
  "nick",
  "username",
  "realname",
  "password",
  "channels",
  "nickserv",
  "dmPolicy",
  "allowFrom",
  "groupPolicy",
  "groupAllowFrom",
  "groups",
  "dangerouslyAllowNameMatching",
  "accounts",
  "defaultAccount",
]);

export const DEFAULT_ACCOUNT_ID = "default";

type Section = Record<string, unknown>;

const isObject = (value: unknown): value is Section =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function ircSection(cfg: CoderclawConfig): Section | null {
  const section = Object.hasOwn(cfg.channels, "irc") ? cfg.channels.irc : undefined;
  return isObject(section) ? section : null;
}

function accountSections(section: Section | null): Record<string, Section> {
  const accounts = section?.accounts;
  if (!isObject(accounts)) return {};
  return Object.fromEntries(Object.entries(accounts).filter(([, value]) => isObject(value))) as Record<
    string,
    Section
  >;
}

/** The default account exists when the top level (or IRC_HOST) configures a server, or no named account does. */
export function listIrcAccountIds(cfg: CoderclawConfig, env: NodeJS.ProcessEnv): string[] {
  const section = ircSection(cfg);
  if (!section && !env.IRC_HOST) return [];
  const named = Object.keys(accountSections(section));
  const hasDefault = section?.host !== undefined || Boolean(env.IRC_HOST) || named.length === 0;
  return [...(hasDefault && !named.includes(DEFAULT_ACCOUNT_ID) ? [DEFAULT_ACCOUNT_ID] : []), ...named];
}

export function defaultIrcAccountId(cfg: CoderclawConfig, env: NodeJS.ProcessEnv): string {
  const section = ircSection(cfg);
  const ids = listIrcAccountIds(cfg, env);
  const preferred = section?.defaultAccount;
  if (typeof preferred === "string" && ids.includes(preferred)) return preferred;
  return ids.includes(DEFAULT_ACCOUNT_ID) ? DEFAULT_ACCOUNT_ID : (ids[0] ?? DEFAULT_ACCOUNT_ID);
}

/** The default account's values from IRC_* (REFERENCE: openclaw-docs channels/irc.md). */
function envSection(env: NodeJS.ProcessEnv): Section {
  const section: Section = {};
  if (env.IRC_HOST) section.host = env.IRC_HOST;
  if (env.IRC_PORT) section.port = Number(env.IRC_PORT);
  if (env.IRC_TLS) section.tls = /^(1|true|yes|on)$/i.test(env.IRC_TLS);
  if (env.IRC_NICK) section.nick = env.IRC_NICK;
  if (env.IRC_USERNAME) section.username = env.IRC_USERNAME;
  if (env.IRC_REALNAME) section.realname = env.IRC_REALNAME;
  if (env.IRC_PASSWORD) section.password = env.IRC_PASSWORD;
  if (env.IRC_CHANNELS)
    section.channels = env.IRC_CHANNELS.split(",")
      .map((name) => name.trim())
      .filter(Boolean);
  if (env.IRC_NICKSERV_PASSWORD || env.IRC_NICKSERV_REGISTER_EMAIL) {
    section.nickserv = {
      ...(env.IRC_NICKSERV_PASSWORD ? { enabled: true, password: env.IRC_NICKSERV_PASSWORD } : {}),
      ...(env.IRC_NICKSERV_REGISTER_EMAIL
        ? { register: true, registerEmail: env.IRC_NICKSERV_REGISTER_EMAIL }
        : {}),
    };
  }
  return section;
}

/** Reads typed values out of a merged section, noting every one it cannot use. */
class SectionReader {
  readonly problems: string[] = [];
  constructor(private readonly values: Section) {}

  string(key: string): string | null {
    const value = this.values[key];
    if (value === undefined || value === null) return null;
    if (typeof value === "string" && value.trim() !== "") return value.trim();
    this.problems.push(`${key} must be a non-empty string`);
    return null;
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.values[key];
    if (value === undefined) return fallback;
    if (typeof value === "boolean") return value;
    this.problems.push(`${key} must be a boolean`);
    return fallback;
  }

  stringList(key: string): string[] {
    const value = this.values[key];
    if (value === undefined) return [];
    if (Array.isArray(value) && value.every((item) => typeof item === "string")) return value as string[];
    this.problems.push(`${key} must be an array of strings`);
    return [];
  }

  raw(key: string): unknown {
    return this.values[key];
  }
}

/** Top level, then the account's own section, then (default account) IRC_* from the environment. */
export function resolveIrcAccount(
  cfg: CoderclawConfig,
  accountId: string,
  env: NodeJS.ProcessEnv,
): IrcAccount {
  const top = ircSection(cfg) ?? {};
  const own = Object.hasOwn(accountSections(top), accountId) ? accountSections(top)[accountId]! : {};
  const inherited = Object.fromEntries(
    Object.entries(top).filter(([key]) => key !== "accounts" && key !== "defaultAccount"),
  );
  const merged: Section = {
    ...inherited,
    ...(accountId === DEFAULT_ACCOUNT_ID ? envSection(env) : {}),
    ...own,
  };
  const read = new SectionReader(merged);
  for (const key of Object.keys({ ...top, ...own }))
    if (!KNOWN_KEYS.has(key)) read.problems.push(`unknown key ${key}`);
  const tls = read.boolean("tls", true);
  const portValue = read.raw("port");
  let port = tls ? 6697 : 6667;
  if (portValue !== undefined) {
    if (Number.isInteger(portValue) && (portValue as number) > 0 && (portValue as number) < 65536)
      port = portValue as number;
    else read.problems.push("port must be an integer from 1 to 65535");
  }
  const host = read.string("host");
  const nick = read.string("nick");
  if (nick !== null && !/^[A-Za-z[\]\\`_^{|}][A-Za-z0-9[\]\\`_^{|}-]{0,29}$/.test(nick))
    read.problems.push(`nick "${nick}" is not a valid IRC nick`);
  const channels = read.stringList("channels");
  for (const name of channels)
    if (!/^[#&][^\s,]{1,49}$/.test(name) || name.includes(String.fromCharCode(7)))
      read.problems.push(`"${name}" is not an IRC channel`);
  const nickservRaw = read.raw("nickserv");
  const nickserv = isObject(nickservRaw) ? nickservRaw : {};
  if (nickservRaw !== undefined && !isObject(nickservRaw)) read.problems.push("nickserv must be an object");
  const groups = isObject(merged.groups) ? (merged.groups as Record<string, ChannelGroupConfig>) : {};
  const access: ChannelAccessPolicy = {
    dmPolicy: ((merged.dmPolicy as DmPolicy | undefined) ?? "pairing") as DmPolicy,
    allowFrom: read.stringList("allowFrom"),
    groupPolicy: ((merged.groupPolicy as GroupPolicy | undefined) ?? "allowlist") as GroupPolicy,
    groupAllowFrom: read.stringList("groupAllowFrom"),
    groups,
  };
  const name = read.string("name");
  return {
    accountId,
    ...(name ? { name } : {}),
    enabled: read.boolean("enabled", true),
    access,
    host,
    port,
    tls,
    nick,
    username: read.string("username") ?? nick ?? "coderclaw",
    realname: read.string("realname") ?? "CoderClaw",
    password: read.string("password"),
    channels,
    nickserv: {
      enabled:
        nickserv.enabled === true ||
        (nickserv.enabled === undefined && typeof nickserv.password === "string"),
      service: typeof nickserv.service === "string" ? nickserv.service : "NickServ",
      password: typeof nickserv.password === "string" ? nickserv.password : null,
      register: nickserv.register === true,
      registerEmail: typeof nickserv.registerEmail === "string" ? nickserv.registerEmail : null,
    },
    dangerouslyAllowNameMatching: read.boolean("dangerouslyAllowNameMatching", false),
    problems: [
      ...(host ? [] : ["host is required"]),
      ...(nick ? [] : ["nick is required"]),
      ...read.problems,
    ],
  };
}
