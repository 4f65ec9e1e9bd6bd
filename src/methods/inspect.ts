import { Type } from "@sinclair/typebox";
import { defineMethod } from "./method-spec.js";

export const inspectSnapshotMethod = defineMethod({
  name: "inspect.snapshot",
  scope: "admin",
  summary: "The live actor tree (supervisor, gateway, connections, runs) with each actor's state.",
  params: Type.Object({}, { additionalProperties: true }),
  handler: (_params, { gateway }) => ({ ts: Date.now(), actors: gateway.inspection.tree() }),
});
