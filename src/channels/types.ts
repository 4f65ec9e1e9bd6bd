/**
 * The channel contract. A channel (irc, telegram, ...) is one folder under src/channels/ exporting a
 * `ChannelPlugin`, plus one line in src/channels/registry.ts; nothing else in the gateway changes.
 *
 * - `config`: which accounts exist (`channels.<id>` and `channels.<id>.accounts.<accountId>`, env for
 *   the default account), each resolved to the plugin's own account type, with whether it is enabled
 *   and configured (and why not).
 * - `gateway.start(ctx)`: opens a fresh transport for one account and resolves with a live
 *   `ChannelConnection` once it can receive and send; rejects when it cannot. `ctx.abortSignal` fires
 *   when the manager gives up on this attempt (stop, restart, a stop that timed out): everything the
 *   attempt opened must close. Inbound messages go to `ctx.inbound(...)`; runtime facts (connected,
 *   last event, self id) to `ctx.setStatus(patch)`.
 * - `ChannelConnection.closed` settles when the transport is gone for good (server quit, socket died,
 *   long poll stalled past its timeout + margin); the manager then starts a fresh one with backoff.
 *   The connection never reconnects by itself.
 * - `outbound`: `textChunkLimit` and `chunker` split a reply; `connection.sendText` sends one chunk,
 *   in order (the connection paces itself to the remote side's flood limits).
 * - `status.probe`: a live check with a deadline; `buildAccountSnapshot` adds channel fields
 *   (mode, bot name, token source) to the status snapshot.
 * - `reload.configPrefixes`: config paths whose change restarts this channel's accounts.
 * - `gateway.logout`: forgets the account's credentials or session, when the channel has any.
 * - `security.matchesSender`: how `allowFrom` entries match a sender (stable ids; names only on opt-in).
 * Access (dmPolicy, allowFrom, groupPolicy, groups, requireMention), pairing, routing to an agent and
 * session, the run and the chunked reply are the gateway's (src/channels/inbound-router.ts).
 */
import type { CoderclawConfig } from "../config/schema.js";
import type { SubsystemLogger } from "../log/logger.js";

export type DmPolicy = "pairing" | "allowlist" | "open" | "disabled";
export type GroupPolicy = "allowlist" | "open" | "disabled";

/** One group (IRC channel, Telegram group) entry under `groups`; `"*"` applies to every group. */
export interface ChannelGroupConfig {
  enabled?: boolean;
  allowFrom?: string[];
  requireMention?: boolean;
}

/** Who may talk to an account: the keys every channel shares (openclaw-docs channels/groups.md). */
export interface ChannelAccessPolicy {
  dmPolicy: DmPolicy;
  allowFrom: string[];
  groupPolicy: GroupPolicy;
  groupAllowFrom: string[];
  groups: Record<string, ChannelGroupConfig>;
}

/** What every resolved account carries; a plugin's account type extends it. */
export interface ChannelAccount {
  accountId: string;
  name?: string;
  enabled: boolean;
  access: ChannelAccessPolicy;
}

/** Who sent a message, or whom a reply goes to. `kind: "direct"` is a DM; otherwise the group's id. */
export interface ChannelPeer {
  kind: "direct" | "group" | "channel";
  /** The DM sender's id, or the group's id (`#room`, `-100123`). */
  id: string;
}

/** Where a reply goes: an account of a channel, and the chat on it. */
export interface ChannelTarget {
  channel: string;
  accountId: string;
  /** The chat to send to: the DM sender's id or the group's id. */
  to: string;
}

/** A message a channel received, normalised. */
export interface InboundMessage {
  /** Unique per account (dedupes redeliveries); the channel's own message id when it has one. */
  messageId: string;
  peer: ChannelPeer;
  sender: {
    /** Stable identity, matched against allowlists (`nick!user@host`, a numeric user id). */
    id: string;
    /** Display name; matched only when the channel allows name matching. */
    name?: string;
  };
  text: string;
  /** The message addresses the account (mention, reply to it, command); only groups look at it. */
  mentioned: boolean;
  ts: number;
}

/** Runtime facts an account reports about itself (merged into its status snapshot). */
export interface ChannelRuntimeStatus {
  connected?: boolean;
  lastEventAt?: number;
  lastConnectedAt?: number;
  lastDisconnect?: string | null;
  mode?: string;
  /** The account's own name on the network (bot username, IRC nick). */
  self?: string;
}

export interface ProbeResult {
  ok: boolean;
  error?: string;
  elapsedMs?: number;
  [detail: string]: unknown;
}

export interface ChannelStartContext<A extends ChannelAccount> {
  cfg: CoderclawConfig;
  accountId: string;
  account: A;
  /** Fires when this attempt is abandoned: close everything it opened. */
  abortSignal: AbortSignal;
  log: SubsystemLogger;
  setStatus(patch: ChannelRuntimeStatus): void;
  getStatus(): ChannelRuntimeStatus;
  /** Hands a received message to the gateway (access check, routing, the run, the reply). */
  inbound(message: InboundMessage): void;
  env: NodeJS.ProcessEnv;
}

/** A live transport of one account. */
export interface ChannelConnection {
  /** Settles when the transport is gone (with why); never rejects. */
  readonly closed: Promise<{ error?: string }>;
  /** Sends one chunk (already within the channel's limit) to a chat. */
  sendText(to: string, text: string): Promise<void>;
  /** Closes the transport; `closed` settles after. */
  stop(): Promise<void>;
  /** A live round trip over this connection. */
  probe?(timeoutMs: number): Promise<ProbeResult>;
}

export interface ChannelPlugin<A extends ChannelAccount = ChannelAccount> {
  id: string;
  meta: { label: string; detailLabel?: string };
  config: {
    listAccountIds(cfg: CoderclawConfig, env: NodeJS.ProcessEnv): string[];
    resolveAccount(cfg: CoderclawConfig, accountId: string, env: NodeJS.ProcessEnv): A;
    defaultAccountId(cfg: CoderclawConfig, env: NodeJS.ProcessEnv): string;
    isEnabled(account: A): boolean;
    isConfigured(account: A): boolean;
    disabledReason?(account: A): string;
    /** Why the account cannot start (missing host, token, an invalid value). */
    unconfiguredReason?(account: A): string;
  };
  gateway: {
    start(ctx: ChannelStartContext<A>): Promise<ChannelConnection>;
    logout?(account: A, env: NodeJS.ProcessEnv): Promise<{ cleared: boolean }>;
  };
  status: {
    /** A live check of an account without a running connection (or with one, when `connection` is set). */
    probe?(account: A, timeoutMs: number, connection: ChannelConnection | null): Promise<ProbeResult>;
    buildAccountSnapshot?(account: A): Record<string, unknown>;
  };
  outbound: {
    textChunkLimit: number;
    /** Splits a reply into chunks the channel can send, in order; none exceeds `limit`. */
    chunker(text: string, limit: number, to: string, account: A): string[];
  };
  reload: { configPrefixes: string[] };
  /** How an allowlist entry matches a sender (default: `*`, or the sender's id exactly). */
  security?: { matchesSender?(entry: string, sender: InboundMessage["sender"], account: A): boolean };
}

/** A plugin of any account type, as the registry and the manager hold them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyChannelPlugin = ChannelPlugin<any>;
