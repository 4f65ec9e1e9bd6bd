import { Type } from "@sinclair/typebox";
import type { ChannelsStatus } from "../channels/account-snapshot.js";
import { ChannelError, type ChannelManager } from "../channels/channel-manager.js";
import { DurationMs, ErrorCodes } from "../protocol/index.js";
import { GatewayError } from "../protocol/gateway-error.js";
import { defineMethod } from "./method-spec.js";
import type { GatewayServices } from "./services.js";

export type { ChannelAccountSnapshot, ChannelsStatus } from "../channels/account-snapshot.js";

export const PROBE_TIMEOUT_MIN_MS = 1_000;
export const PROBE_TIMEOUT_MAX_MS = 60_000;
const PROBE_TIMEOUT_DEFAULT_MS = 10_000;

const NO_CHANNELS: Omit<ChannelsStatus, "ts"> = {
  channelOrder: [],
  channelLabels: {},
  channelDetailLabels: {},
  channelSystemImages: {},
  channelMeta: [],
  channels: {},
  channelAccounts: {},
  channelDefaultAccountId: {},
};

/** A channel error as the client's error: unknown names are bad requests, a stopped account unavailable. */
export function channelCall<T>(work: () => Promise<T>): Promise<T> {
  return work().catch((error: unknown) => {
    if (error instanceof ChannelError) {
      const code = error.code === "NOT_RUNNING" ? ErrorCodes.UNAVAILABLE : ErrorCodes.INVALID_REQUEST;
      throw new GatewayError(code, error.message);
    }
    throw error;
  });
}

export function requireChannels(gateway: GatewayServices): ChannelManager {
  if (!gateway.channels)
    throw new GatewayError(ErrorCodes.UNAVAILABLE, gateway.storeError ?? "channels are not running");
  return gateway.channels;
}

export const channelsStatusMethod = defineMethod({
  name: "channels.status",
  scope: "read",
  summary:
    "Channel accounts and their runtime state; `probe: true` runs a live check of each enabled, configured account within `timeoutMs` (1000–60000).",
  params: Type.Object(
    {
      probe: Type.Optional(Type.Boolean()),
      timeoutMs: Type.Optional(DurationMs(1)),
    },
    { additionalProperties: false },
  ),
  handler: async (params, { gateway }): Promise<ChannelsStatus> => {
    if (!gateway.channels) return { ts: Date.now(), ...NO_CHANNELS };
    const timeoutMs = Math.min(
      PROBE_TIMEOUT_MAX_MS,
      Math.max(PROBE_TIMEOUT_MIN_MS, params.timeoutMs ?? PROBE_TIMEOUT_DEFAULT_MS),
    );
    return gateway.channels.status(params.probe === true, timeoutMs);
  },
});

export const channelsLogoutMethod = defineMethod({
  name: "channels.logout",
  scope: "admin",
  summary: "Stops a channel account and forgets its credentials or session where the channel keeps any.",
  params: Type.Object(
    {
      channel: Type.String({ minLength: 1, maxLength: 64 }),
      accountId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    },
    { additionalProperties: false },
  ),
  handler: (params, { gateway }) =>
    channelCall(async () => {
      const manager = requireChannels(gateway);
      const accountId = manager.account(params.channel, params.accountId).accountId;
      const result = await manager.logout(params.channel, accountId);
      return { channel: params.channel, accountId, ...result };
    }),
});
