import { Type } from "@sinclair/typebox";
import { defineMethod } from "./method-spec.js";

export const systemPresenceMethod = defineMethod({
  name: "system-presence",
  scope: "read",
  summary: "Presence entries, newest first, the gateway's own entry included.",
  params: Type.Object({}, { additionalProperties: true }),
  handler: (_params, { gateway }) => gateway.presence.list(),
});

export const systemEventMethod = defineMethod({
  name: "system-event",
  scope: "admin",
  summary: "Records a system event (text and presence fields) and broadcasts presence.",
  params: Type.Object(
    {
      text: Type.String({ minLength: 1 }),
      instanceId: Type.Optional(Type.String({ minLength: 1 })),
      host: Type.Optional(Type.String()),
      ip: Type.Optional(Type.String()),
      mode: Type.Optional(Type.String()),
      version: Type.Optional(Type.String()),
      platform: Type.Optional(Type.String()),
      deviceFamily: Type.Optional(Type.String()),
      modelIdentifier: Type.Optional(Type.String()),
      lastInputSeconds: Type.Optional(Type.Number({ minimum: 0 })),
      reason: Type.Optional(Type.String()),
      tags: Type.Optional(Type.Array(Type.String())),
    },
    { additionalProperties: false },
  ),
  handler: (params, { gateway, session }) => {
    const key = params.instanceId ?? session.client.instanceId ?? session.connId;
    gateway.presence.upsert(key, { ...params, reason: params.reason ?? "system-event" });
    gateway.presenceChanged();
    return { ok: true, presenceVersion: gateway.presence.version };
  },
});
