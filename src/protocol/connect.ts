import { Type } from "@sinclair/typebox";
import type { Static } from "@sinclair/typebox";
import { NonEmptyString } from "./non-empty-string.js";

/** Client ids upstream accepts; we accept any non-empty id and use these only to recognise clients. */
export const KNOWN_CLIENT_IDS = [
  "webchat-ui",
  "coderclaw-control-ui",
  "webchat",
  "cli",
  "gateway-client",
  "coderclaw-macos",
  "coderclaw-ios",
  "coderclaw-android",
  "node-host",
  "test",
  "fingerprint",
  "coderclaw-probe",
] as const;
export type KnownClientId = (typeof KNOWN_CLIENT_IDS)[number];

export const KNOWN_CLIENT_MODES = ["webchat", "cli", "ui", "backend", "node", "probe", "test"] as const;
export type KnownClientMode = (typeof KNOWN_CLIENT_MODES)[number];

export const ROLES = ["operator", "node"] as const;
export type Role = (typeof ROLES)[number];

export const OPERATOR_SCOPES = [
  "operator.admin",
  "operator.read",
  "operator.write",
  "operator.approvals",
  "operator.pairing",
] as const;
export type OperatorScope = (typeof OPERATOR_SCOPES)[number];

// Unknown optional fields are ignored, not rejected, so newer clients can talk to this gateway.
const open = { additionalProperties: true } as const;

export const ConnectClient = Type.Object(
  {
    id: NonEmptyString,
    displayName: Type.Optional(NonEmptyString),
    version: NonEmptyString,
    platform: NonEmptyString,
    deviceFamily: Type.Optional(NonEmptyString),
    modelIdentifier: Type.Optional(NonEmptyString),
    mode: NonEmptyString,
    instanceId: Type.Optional(NonEmptyString),
  },
  open,
);
export type ConnectClient = Static<typeof ConnectClient>;

/** Device fields are bounded: a device id is 64 hex chars, a key at most a PEM, a signature 64 bytes. */
export const ConnectDevice = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 128 }),
    publicKey: Type.String({ minLength: 1, maxLength: 1024 }),
    signature: Type.String({ minLength: 1, maxLength: 512 }),
    signedAt: Type.Integer({ minimum: 0 }),
    nonce: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  },
  open,
);
export type ConnectDevice = Static<typeof ConnectDevice>;

const Secret = Type.String({ maxLength: 1024 });

export const ConnectAuth = Type.Object(
  {
    token: Type.Optional(Secret),
    password: Type.Optional(Secret),
    /** A device token this gateway issued to the connecting device (hello-ok `auth.deviceToken`). */
    deviceToken: Type.Optional(Secret),
    /** Signed as the token when neither of the others is sent (v3); not a credential here. */
    bootstrapToken: Type.Optional(Secret),
  },
  open,
);
export type ConnectAuth = Static<typeof ConnectAuth>;

export const ConnectParams = Type.Object(
  {
    minProtocol: Type.Integer({ minimum: 1 }),
    maxProtocol: Type.Integer({ minimum: 1 }),
    client: ConnectClient,
    caps: Type.Optional(Type.Array(NonEmptyString)),
    commands: Type.Optional(Type.Array(NonEmptyString)),
    permissions: Type.Optional(Type.Record(Type.String(), Type.Boolean())),
    pathEnv: Type.Optional(Type.String()),
    role: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    scopes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 32 })),
    device: Type.Optional(ConnectDevice),
    auth: Type.Optional(ConnectAuth),
    locale: Type.Optional(Type.String()),
    userAgent: Type.Optional(Type.String()),
  },
  open,
);
export type ConnectParams = Static<typeof ConnectParams>;
