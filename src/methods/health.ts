import { Type } from "@sinclair/typebox";
import { defineMethod } from "./method-spec.js";

export const healthMethod = defineMethod({
  name: "health",
  scope: "read",
  summary: "Cached health summary; `probe: true` refreshes it first.",
  params: Type.Object({ probe: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
  handler: (params, { gateway }) => {
    const cached = gateway.health.current();
    if (params.probe || !("ts" in cached)) return gateway.health.refresh();
    return cached;
  },
});
