import { Type } from "@sinclair/typebox";
import type { Static } from "@sinclair/typebox";
import { NonEmptyString } from "./non-empty-string.js";

const closed = { additionalProperties: false } as const;

export const PresenceEntry = Type.Object(
  {
    host: Type.Optional(NonEmptyString),
    ip: Type.Optional(NonEmptyString),
    version: Type.Optional(NonEmptyString),
    platform: Type.Optional(NonEmptyString),
    deviceFamily: Type.Optional(NonEmptyString),
    modelIdentifier: Type.Optional(NonEmptyString),
    mode: Type.Optional(NonEmptyString),
    lastInputSeconds: Type.Optional(Type.Integer({ minimum: 0 })),
    reason: Type.Optional(NonEmptyString),
    tags: Type.Optional(Type.Array(NonEmptyString)),
    text: Type.Optional(Type.String()),
    ts: Type.Integer({ minimum: 0 }),
    deviceId: Type.Optional(NonEmptyString),
    roles: Type.Optional(Type.Array(NonEmptyString)),
    scopes: Type.Optional(Type.Array(NonEmptyString)),
    instanceId: Type.Optional(NonEmptyString),
    /** What presence deltas name the entry by (device id, instance id or connection id; "gateway"). */
    key: Type.Optional(NonEmptyString),
  },
  closed,
);
export type PresenceEntry = Static<typeof PresenceEntry>;

export const StateVersion = Type.Object(
  {
    presence: Type.Integer({ minimum: 0 }),
    health: Type.Integer({ minimum: 0 }),
  },
  closed,
);
export type StateVersion = Static<typeof StateVersion>;

export const SessionDefaults = Type.Object(
  {
    defaultAgentId: NonEmptyString,
    mainKey: NonEmptyString,
    mainSessionKey: NonEmptyString,
    scope: NonEmptyString,
  },
  closed,
);
export type SessionDefaults = Static<typeof SessionDefaults>;

export const AuthMode = Type.Union([
  Type.Literal("none"),
  Type.Literal("token"),
  Type.Literal("password"),
  Type.Literal("trusted-proxy"),
]);
export type AuthMode = Static<typeof AuthMode>;

export const Snapshot = Type.Object(
  {
    /** The newest entries (at most 50); `presenceTotal` counts them all, `system-presence` pages the rest. */
    presence: Type.Array(PresenceEntry),
    presenceTotal: Type.Optional(Type.Integer({ minimum: 1 })),
    // The health summary has its own schema in the `health` method; the snapshot only carries it.
    health: Type.Unsafe<Record<string, unknown>>({ type: "object" }),
    stateVersion: StateVersion,
    uptimeMs: Type.Integer({ minimum: 0 }),
    configPath: NonEmptyString,
    stateDir: NonEmptyString,
    sessionDefaults: SessionDefaults,
    authMode: AuthMode,
  },
  closed,
);
export type Snapshot = Static<typeof Snapshot>;

export const Policy = Type.Object(
  {
    maxPayload: Type.Integer({ minimum: 1 }),
    maxBufferedBytes: Type.Integer({ minimum: 1 }),
    tickIntervalMs: Type.Integer({ minimum: 1 }),
  },
  closed,
);
export type Policy = Static<typeof Policy>;

export const HelloOk = Type.Object(
  {
    type: Type.Literal("hello-ok"),
    protocol: Type.Integer({ minimum: 1 }),
    server: Type.Object(
      {
        version: NonEmptyString,
        commit: Type.Optional(NonEmptyString),
        host: NonEmptyString,
        connId: NonEmptyString,
      },
      closed,
    ),
    features: Type.Object(
      {
        methods: Type.Array(NonEmptyString),
        events: Type.Array(NonEmptyString),
      },
      closed,
    ),
    snapshot: Snapshot,
    auth: Type.Optional(
      Type.Object(
        {
          deviceToken: NonEmptyString,
          role: NonEmptyString,
          scopes: Type.Array(NonEmptyString),
          issuedAtMs: Type.Optional(Type.Integer({ minimum: 0 })),
        },
        closed,
      ),
    ),
    policy: Policy,
  },
  closed,
);
export type HelloOk = Static<typeof HelloOk>;
