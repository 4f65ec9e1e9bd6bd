import type { ProbeResult } from "./types.js";

/** One channel account as `channels.status` reports it (REFERENCE §8 field names). */
export interface ChannelAccountSnapshot {
  accountId: string;
  name?: string;
  enabled: boolean;
  configured: boolean;
  running: boolean;
  connected: boolean;
  /** The account machine's state: disabled, unconfigured, starting, running, reconnecting, stopping, stopped. */
  state: string;
  reconnectAttempts: number;
  /** When the next restart attempt is due (reconnecting only). */
  nextAttemptAt: number | null;
  lastConnectedAt: number | null;
  lastDisconnect: string | null;
  lastEventAt: number | null;
  lastError: string | null;
  lastStartAt: number | null;
  lastStopAt: number | null;
  lastInboundAt: number | null;
  lastOutboundAt: number | null;
  mode?: string;
  self?: string;
  dmPolicy: string;
  allowFrom: string[];
  probe?: ProbeResult;
  lastProbeAt?: number;
  [detail: string]: unknown;
}

/** The `channels.status` answer (REFERENCE §8). */
export interface ChannelsStatus {
  ts: number;
  channelOrder: string[];
  channelLabels: Record<string, string>;
  channelDetailLabels: Record<string, string>;
  channelSystemImages: Record<string, string>;
  channelMeta: Array<{ id: string; label: string; detailLabel: string }>;
  channels: Record<string, { configured: boolean; running: boolean; connected: boolean }>;
  channelAccounts: Record<string, ChannelAccountSnapshot[]>;
  channelDefaultAccountId: Record<string, string>;
}
