import { Type } from "@sinclair/typebox";
import { PairingStore } from "../channels/pairing-store.js";
import { channelPlugin } from "../channels/registry.js";
import { ErrorCodes } from "../protocol/index.js";
import { GatewayError } from "../protocol/gateway-error.js";
import { defineMethod } from "./method-spec.js";
import { requireRuns } from "./run-access.js";
import type { GatewayServices } from "./services.js";

const ChannelParam = Type.String({ minLength: 1, maxLength: 64 });
const CodeParam = Type.String({ minLength: 1, maxLength: 32 });

function pairingStore(gateway: GatewayServices, channel: string): PairingStore {
  if (!channelPlugin(channel))
    throw new GatewayError(ErrorCodes.INVALID_REQUEST, `unknown channel: ${channel}`);
  return new PairingStore(requireRuns(gateway).store.database);
}

export const pairingListMethod = defineMethod({
  name: "pairing.list",
  scope: "admin",
  summary: "Pending DM pairing requests of a channel (code, sender, expiry) and the senders approved so far.",
  params: Type.Object({ channel: ChannelParam }, { additionalProperties: false }),
  handler: (params, { gateway }) => {
    const store = pairingStore(gateway, params.channel);
    return {
      channel: params.channel,
      requests: store.pending(params.channel),
      approved: store.approved(params.channel),
    };
  },
});

/** Approves or rejects one pending code; an unknown or expired code is the upstream error. */
function decide(
  gateway: Parameters<typeof pairingStore>[0],
  channel: string,
  code: string,
  verdict: "approve" | "reject",
) {
  const store = pairingStore(gateway, channel);
  const request = verdict === "approve" ? store.approve(channel, code) : store.reject(channel, code);
  if (!request)
    throw new GatewayError(ErrorCodes.INVALID_REQUEST, `No pending pairing request found for code: ${code}`);
  return { ok: true, channel, accountId: request.accountId, id: request.senderId };
}

export const pairingApproveMethod = defineMethod({
  name: "pairing.approve",
  scope: "admin",
  summary:
    "Approves a pending pairing code: its sender may DM that channel account from now on (no restart).",
  params: Type.Object({ channel: ChannelParam, code: CodeParam }, { additionalProperties: false }),
  handler: (params, { gateway }) => ({
    ...decide(gateway, params.channel, params.code, "approve"),
    approved: true,
  }),
});

export const pairingRejectMethod = defineMethod({
  name: "pairing.reject",
  scope: "admin",
  summary: "Rejects a pending pairing code; the sender stays unknown and may ask again later.",
  params: Type.Object({ channel: ChannelParam, code: CodeParam }, { additionalProperties: false }),
  handler: (params, { gateway }) => ({
    ...decide(gateway, params.channel, params.code, "reject"),
    rejected: true,
  }),
});
