import { Type } from "@sinclair/typebox";
import type { Static } from "@sinclair/typebox";
import { StateVersion } from "./hello.js";
import { NonEmptyString } from "./non-empty-string.js";

export const ErrorShape = Type.Object(
  {
    code: NonEmptyString,
    message: NonEmptyString,
    details: Type.Optional(Type.Unknown()),
    retryable: Type.Optional(Type.Boolean()),
    retryAfterMs: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type ErrorShape = Static<typeof ErrorShape>;

export const RequestFrame = Type.Object(
  {
    type: Type.Literal("req"),
    id: NonEmptyString,
    method: NonEmptyString,
    params: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);
export type RequestFrame = Static<typeof RequestFrame>;

export const ResponseFrame = Type.Object(
  {
    type: Type.Literal("res"),
    id: NonEmptyString,
    ok: Type.Boolean(),
    payload: Type.Optional(Type.Unknown()),
    error: Type.Optional(ErrorShape),
  },
  { additionalProperties: false },
);
export type ResponseFrame = Static<typeof ResponseFrame>;

export const EventFrame = Type.Object(
  {
    type: Type.Literal("event"),
    event: NonEmptyString,
    payload: Type.Optional(Type.Unknown()),
    seq: Type.Optional(Type.Integer({ minimum: 0 })),
    stateVersion: Type.Optional(StateVersion),
  },
  { additionalProperties: false },
);
export type EventFrame = Static<typeof EventFrame>;
