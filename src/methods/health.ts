import { Type } from "@sinclair/typebox";
import { channelsHealth } from "../actors/health-summary.js";
import { defineMethod } from "./method-spec.js";

export const healthMethod = defineMethod({
  name: "health",
  scope: "read",
  summary:
    "Cached health summary with the channel accounts as they are now; `probe: true` refreshes it first.",
  params: Type.Object({ probe: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
  handler: async (params, { gateway }) => {
    const cached = gateway.health.current();
    if (params.probe || !("ts" in cached)) return gateway.health.refresh();
    // Account states live in memory and change between refreshes: read them now, not from the cache.
    return { ...cached, ...(await channelsHealth(gateway)) };
  },
});
