import { Type } from "@sinclair/typebox";
import { MAX_PRESENCE_ENTRIES } from "../state/presence.js";
import { defineMethod } from "./method-spec.js";

/** The largest page `system-presence` serves. */
export const PRESENCE_PAGE_MAX = 500;

export const systemPresenceMethod = defineMethod({
  name: "system-presence",
  scope: "read",
  summary:
    "Presence entries, newest first, the gateway's own entry included: all of them, or with `offset`/`limit` " +
    `one page ({entries, total, offset, nextOffset, version}; limit at most ${PRESENCE_PAGE_MAX}).`,
  params: Type.Object(
    {
      offset: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_PRESENCE_ENTRIES })),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: PRESENCE_PAGE_MAX })),
    },
    { additionalProperties: true },
  ),
  handler: (params, { gateway }) => {
    const { presence } = gateway;
    // Without paging parameters, the upstream answer: the whole list (bounded by the table's size).
    if (params.offset === undefined && params.limit === undefined) return presence.list();
    const offset = params.offset ?? 0;
    const entries = presence.page(offset, params.limit ?? PRESENCE_PAGE_MAX);
    const total = presence.size;
    const next = offset + entries.length;
    return { entries, total, offset, nextOffset: next < total ? next : null, version: presence.version };
  },
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
