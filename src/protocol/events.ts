import { Type } from "@sinclair/typebox";
import type { Static } from "@sinclair/typebox";
import { PresenceEntry } from "./hello.js";
import { NonEmptyString } from "./non-empty-string.js";

/** The events this gateway emits (hello-ok `features.events`); upstream-only families join as they are built. */
export const GATEWAY_EVENTS = [
  "connect.challenge",
  "agent",
  "chat",
  "presence",
  "tick",
  "shutdown",
  "health",
  "heartbeat",
  "inspect",
  "reload",
  "device.pair.requested",
  "device.pair.resolved",
] as const;
export type GatewayEvent = (typeof GATEWAY_EVENTS)[number];

const closed = { additionalProperties: false } as const;
const timestamp = Type.Integer({ minimum: 0 });

export const ConnectChallengePayload = Type.Object({ nonce: NonEmptyString, ts: timestamp }, closed);
export type ConnectChallengePayload = Static<typeof ConnectChallengePayload>;

export const TickPayload = Type.Object({ ts: timestamp }, closed);
export type TickPayload = Static<typeof TickPayload>;

export const ShutdownPayload = Type.Object(
  {
    reason: Type.String(),
    // null (never omitted) when no restart follows.
    restartExpectedMs: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  },
  closed,
);
export type ShutdownPayload = Static<typeof ShutdownPayload>;

/** The newest entries (capped), to every client without `caps: ["presence-delta"]`, and as a reset to those with it. */
export const PresenceListPayload = Type.Object(
  { presence: Type.Array(PresenceEntry), total: Type.Optional(Type.Integer({ minimum: 1 })) },
  closed,
);
/** To clients with `caps: ["presence-delta"]`: what changed between `baseVersion` and the event's stateVersion. */
export const PresenceDeltaPayload = Type.Object(
  {
    ts: timestamp,
    baseVersion: Type.Integer({ minimum: 0 }),
    total: Type.Integer({ minimum: 1 }),
    upsert: Type.Array(PresenceEntry),
    remove: Type.Array(NonEmptyString),
  },
  closed,
);
export const PresencePayload = Type.Union([PresenceListPayload, PresenceDeltaPayload]);
export type PresencePayload = Static<typeof PresencePayload>;

export const HeartbeatPayload = Type.Object(
  {
    ts: timestamp,
    status: Type.Union([
      Type.Literal("sent"),
      Type.Literal("ok-empty"),
      Type.Literal("ok-token"),
      Type.Literal("skipped"),
      Type.Literal("failed"),
    ]),
    to: Type.Optional(Type.String()),
    accountId: Type.Optional(Type.String()),
    preview: Type.Optional(Type.String()),
    durationMs: Type.Optional(Type.Integer({ minimum: 0 })),
    hasMedia: Type.Optional(Type.Boolean()),
    reason: Type.Optional(Type.String()),
    channel: Type.Optional(Type.String()),
    silent: Type.Optional(Type.Boolean()),
    indicatorType: Type.Optional(
      Type.Union([Type.Literal("ok"), Type.Literal("alert"), Type.Literal("error")]),
    ),
  },
  closed,
);
export type HeartbeatPayload = Static<typeof HeartbeatPayload>;
