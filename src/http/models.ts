import type { IncomingMessage, ServerResponse } from "node:http";
import type { AgentDirectory, AgentProfile } from "../agents/agent-directory.js";
import type { AgentRuns } from "../agents/agent-runs.js";
import type { GatewayAccess } from "../transport/access.js";
import { sendJson } from "../transport/http-response.js";
import type { HttpRoute } from "../transport/http-router.js";
import { authorizeHttp } from "./http-auth.js";
import { modelNotFound, sendMethodNotAllowed, serverError } from "./openai-errors.js";

export const MODELS_PATH = "/v1/models";
/** The model name of the default agent (upstream's default `model`). */
export const DEFAULT_MODEL = "coderclaw";

export const modelIdOf = (agent: AgentProfile) => `${DEFAULT_MODEL}:${agent.id}`;

/**
 * The agent a `model` names: `coderclaw` is the default agent; `coderclaw:<id>`, `coderclaw/<id>`,
 * `agent:<id>` and the bare `<id>` name that agent. Anything else names none.
 */
export function agentForModel(agents: AgentDirectory, model: string): AgentProfile | undefined {
  if (model === DEFAULT_MODEL) return agents.defaultAgent;
  const id = /^(?:coderclaw[:/]|agent:)(.+)$/.exec(model)?.[1]?.trim() ?? model;
  return agents.get(id);
}

export interface ModelsDeps {
  access: GatewayAccess;
  /** Null while the state database is unavailable. */
  runs(): AgentRuns | null;
}

/**
 * `GET /v1/models` and `GET /v1/models/{id}`: the configured agents as OpenAI models, so clients that
 * pick a model from the list can use the gateway. Same secret as the endpoints that run them.
 */
export function modelsRoute(deps: ModelsDeps): HttpRoute {
  // OpenAI's `created` is when a model was published; here, when this gateway began serving them.
  const created = Math.floor(Date.now() / 1000);
  const modelOf = (agent: AgentProfile) => ({
    id: modelIdOf(agent),
    object: "model",
    created,
    owned_by: DEFAULT_MODEL,
  });
  function handle(req: IncomingMessage, res: ServerResponse, pathname: string): void {
    if (req.method !== "GET" && req.method !== "HEAD") {
      sendMethodNotAllowed(res, "GET, HEAD");
      return;
    }
    if (!authorizeHttp(deps.access, req, res)) return;
    const runs = deps.runs();
    if (!runs) {
      sendJson(res, 503, serverError("agent runs are unavailable"));
      return;
    }
    if (pathname === MODELS_PATH) {
      sendJson(res, 200, { object: "list", data: runs.agents.agents.map(modelOf) });
      return;
    }
    let requested: string;
    try {
      requested = decodeURIComponent(pathname.slice(MODELS_PATH.length + 1));
    } catch {
      requested = pathname.slice(MODELS_PATH.length + 1);
    }
    const agent = agentForModel(runs.agents, requested);
    if (agent) sendJson(res, 200, modelOf(agent));
    else sendJson(res, 404, modelNotFound(requested));
  }
  return {
    matches: (pathname) => pathname === MODELS_PATH || pathname.startsWith(`${MODELS_PATH}/`),
    handle: (req, res) => handle(req, res, (req.url ?? "/").split("?")[0] ?? "/"),
  };
}
