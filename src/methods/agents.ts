import { Type } from "@sinclair/typebox";
import { defineMethod } from "./method-spec.js";
import { requireRuns } from "./run-access.js";

export const agentsListMethod = defineMethod({
  name: "agents.list",
  scope: "read",
  summary: "Configured agents with their model and workspace.",
  params: Type.Object({}, { additionalProperties: true }),
  handler: (_params, { gateway }) => {
    const { runs } = requireRuns(gateway);
    const config = gateway.config().config;
    return {
      defaultId: runs.agents.defaultAgent.id,
      mainKey: config.session.mainKey,
      scope: config.session.scope,
      agents: runs.agents.agents.map((agent) => ({
        id: agent.id,
        name: agent.name ?? undefined,
        default: agent.isDefault,
        model: agent.model,
        workspace: agent.workspace,
      })),
    };
  },
});

export const modelsListMethod = defineMethod({
  name: "models.list",
  scope: "read",
  summary: "Models of the configured providers (echo is always there).",
  params: Type.Object({}, { additionalProperties: true }),
  handler: (_params, { gateway }) => ({ models: requireRuns(gateway).runs.providers.models() }),
});
