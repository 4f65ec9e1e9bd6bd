import { Type } from "@sinclair/typebox";
import { DurationMs } from "../protocol/index.js";
import { defineMethod } from "./method-spec.js";

/** One channel account as `channels.status` reports it (REFERENCE §8). */
export interface ChannelAccountStatus {
  channel: string;
  accountId: string;
  name?: string;
  enabled: boolean;
  configured: boolean;
  linked?: boolean;
  running: boolean;
  connected?: boolean;
  lastInboundAt?: number | null;
  lastOutboundAt?: number | null;
  mode?: string;
  dmPolicy?: string;
  allowFrom?: string[];
  tokenSource?: string;
  botUsername?: string;
  probe?: { ok: boolean; error?: string };
  audit?: { ok: boolean; error?: string };
  lastError?: string | null;
}

export interface ChannelsStatus {
  ts: number;
  channelOrder: string[];
  channelLabels: Record<string, string>;
  channels: Record<string, unknown>;
  accounts: ChannelAccountStatus[];
}

export const channelsStatusMethod = defineMethod({
  name: "channels.status",
  scope: "read",
  summary: "Channel accounts and their runtime state; `probe: true` runs live checks (none configured yet).",
  params: Type.Object(
    {
      probe: Type.Optional(Type.Boolean()),
      timeoutMs: Type.Optional(DurationMs(1)),
    },
    { additionalProperties: false },
  ),
  // No channel subsystem exists yet: the answer has the final shape with nothing in it.
  handler: (): ChannelsStatus => ({
    ts: Date.now(),
    channelOrder: [],
    channelLabels: {},
    channels: {},
    accounts: [],
  }),
});
