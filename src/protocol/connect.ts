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

export const ConnectDevice = Type.Object(
  {
    id: NonEmptyString,
    publicKey: NonEmptyString,
    signature: NonEmptyString,
    signedAt: Type.Integer({ minimum: 0 }),
    nonce: Type.Optional(NonEmptyString),
  },
  open,
);
export type ConnectDevice = Static<typeof ConnectDevice>;

export const ConnectAuth = Type.Object(
  {
    token: Type.Optional(Type.String()),
    password: Type.Optional(Type.String()),
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
    role: Type.Optional(NonEmptyString),
    scopes: Type.Optional(Type.Array(NonEmptyString)),
    device: Type.Optional(ConnectDevice),
    auth: Type.Optional(ConnectAuth),
    locale: Type.Optional(Type.String()),
    userAgent: Type.Optional(Type.String()),
  },
  open,
);
export type ConnectParams = Static<typeof ConnectParams>;
