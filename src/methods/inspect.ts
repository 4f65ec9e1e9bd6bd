import { Type } from "@sinclair/typebox";
import { inspectableMachineGraphs } from "../machines/inspectable-machines.js";
import { defineMethod } from "./method-spec.js";

export const inspectSnapshotMethod = defineMethod({
  name: "inspect.snapshot",
  scope: "admin",
  summary: "The live actor tree (supervisor, gateway, connections, runs) with each actor's state.",
  params: Type.Object({}, { additionalProperties: true }),
  handler: (_params, { gateway }) => ({ ts: Date.now(), actors: gateway.inspection.tree() }),
});

export const inspectMachinesMethod = defineMethod({
  name: "inspect.machines",
  scope: "admin",
  summary:
    "Every machine's definition (states, nesting, initial/final, transitions with events, guards, delays, invoked actors), as the statechart inspector draws it.",
  params: Type.Object({}, { additionalProperties: true }),
  handler: () => ({ machines: inspectableMachineGraphs() }),
});
