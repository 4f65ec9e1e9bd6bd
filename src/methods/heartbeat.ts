import { Type } from "@sinclair/typebox";
import { defineMethod } from "./method-spec.js";

export const lastHeartbeatMethod = defineMethod({
  name: "last-heartbeat",
  scope: "read",
  summary: "The last heartbeat event, or null.",
  params: Type.Object({}, { additionalProperties: true }),
  handler: (_params, { gateway }) => gateway.heartbeat.last,
});

export const setHeartbeatsMethod = defineMethod({
  name: "set-heartbeats",
  scope: "admin",
  summary: "Enables or disables heartbeats.",
  params: Type.Object({ enabled: Type.Boolean() }, { additionalProperties: false }),
  handler: (params, { gateway }) => {
    gateway.heartbeat.enabled = params.enabled;
    return { ok: true, enabled: gateway.heartbeat.enabled };
  },
});
