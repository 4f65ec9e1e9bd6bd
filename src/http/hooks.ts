import type { IncomingMessage, ServerResponse } from "node:http";
import { hooksBasePath, type HooksConfig } from "../config/hooks-config.js";
import type { CoderclawConfig } from "../config/schema.js";
import type { SubsystemLogger } from "../log/logger.js";
import { GatewayError } from "../protocol/gateway-error.js";
import type { GatewayServices } from "../methods/services.js";
import { ErrorCodes } from "../protocol/index.js";
import type { GatewayAccess } from "../transport/access.js";
import type { GatewayAuth } from "../transport/auth.js";
import { sendJson, sendText } from "../transport/http-response.js";
import type { HttpRoute } from "../transport/http-router.js";
import { normalizeAgent, normalizeWake, type HookAction, type Normalized } from "./hook-actions.js";
import { HookAuth, QUERY_TOKEN_REFUSED } from "./hook-auth.js";
import type { HookDeliver } from "../channels/hook-delivery.js";
import { HookDispatcher } from "./hook-dispatch.js";
import { findMapping, renderMapping, TemplateError, type HookRequest } from "./hook-mappings.js";
import { AGENT_NOT_ALLOWED, agentAllowed, hookSessionKey } from "./hook-policy.js";
import { readJsonBody } from "./request-body.js";

export interface HooksRouteDeps {
  /** The running config (hot reloads replace it). */
  config(): CoderclawConfig;
  /** The gateway's own token and password: a hook token equal to one of them is refused. */
  gatewaySecrets: ReadonlyArray<string | null>;
  access: GatewayAccess;
  dispatcher: HookDispatcher;
  log: SubsystemLogger;
}

/** Headers a mapping template never sees: the secrets that authenticated the request. */
const SECRET_HEADERS = new Set(["authorization", "x-coderclaw-token", "cookie"]);

type Reply = { status: number; body: unknown };
const fail = (status: number, error: string): Reply => ({ status, body: { ok: false, error } });

function headersOf(req: IncomingMessage): Map<string, string> {
  const headers = new Map<string, string>();
  for (const [name, value] of Object.entries(req.headers)) {
    if (SECRET_HEADERS.has(name) || value === undefined) continue;
    headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  return headers;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * REFERENCE §7.5 `POST <hooks.path>/{wake,agent,<mapping>}`. Everything is read from the running config
 * per request, so `hooks.*` reloads hot, enabling and disabling the endpoints included.
 */
export function hooksRoute(deps: HooksRouteDeps): HttpRoute {
  const auth = new HookAuth();
  let checked: { config: CoderclawConfig; hooks: HooksConfig | null } | null = null;

  /** The hooks config when the endpoints are on; a token equal to the gateway's secret keeps them off (said once). */
  function activeHooks(): HooksConfig | null {
    const config = deps.config();
    if (checked?.config === config) return checked.hooks;
    let hooks: HooksConfig | null = config.hooks.enabled && config.hooks.token ? config.hooks : null;
    if (hooks && deps.gatewaySecrets.includes(hooks.token?.trim() ?? "")) {
      deps.log.error("webhooks disabled: hooks.token must differ from the gateway's token and password");
      hooks = null;
    }
    checked = { config, hooks };
    return hooks;
  }

  // Said at start, not at the first request: a refused token shows in the startup log.
  activeHooks();

  function dispatch(action: HookAction, hooks: HooksConfig, source: "request" | "mapping"): Reply {
    if (action.kind === "wake") {
      deps.dispatcher.wake(action.text, action.mode);
      return { status: 200, body: { ok: true, mode: action.mode } };
    }
    if (!agentAllowed(hooks, action.agentId)) return fail(400, AGENT_NOT_ALLOWED);
    const sessionKey = hookSessionKey(hooks, action.sessionKey, source);
    if (!sessionKey.ok) return fail(400, sessionKey.error);
    const runId = deps.dispatcher.runAgent({ ...action, sessionKey: sessionKey.value });
    return { status: 202, body: { ok: true, runId } };
  }

  function mapped(hooks: HooksConfig, request: HookRequest): Reply {
    const mapping = findMapping(hooks.mappings, request);
    if (!mapping) return { status: 404, body: "Not Found" };
    let action: Normalized<HookAction>;
    try {
      const rendered = renderMapping(mapping, request);
      action = rendered.kind === "wake" ? normalizeWake(rendered.fields) : normalizeAgent(rendered.fields);
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      deps.log.warn(`hook mapping failed (${request.path}): ${error.message}`);
      return fail(500, "hook mapping failed");
    }
    return action.ok ? dispatch(action.value, hooks, "mapping") : fail(400, action.error);
  }

  async function handle(req: IncomingMessage, res: ServerResponse, hooks: HooksConfig): Promise<void> {
    const [pathname = "", search = ""] = (req.url ?? "/").split(/\?(.*)/s);
    const query = new URLSearchParams(search);
    if (query.has("token")) return sendJson(res, 400, { ok: false, error: QUERY_TOKEN_REFUSED });
    const verdict = auth.check(req, deps.access.peer(req).clientIp, hooks.token ?? "");
    if (!verdict.ok && verdict.status === 429)
      return sendText(res, 429, "Too Many Requests", { "retry-after": String(verdict.retryAfterSeconds) });
    if (!verdict.ok) return sendText(res, 401, "Unauthorized");
    if (req.method !== "POST") return sendText(res, 405, "Method Not Allowed", { allow: "POST" });
    const subPath = pathname.slice(hooksBasePath(hooks.path).length).replace(/^\/+|\/+$/g, "");
    if (subPath === "") return sendText(res, 404, "Not Found");
    const body = await readJsonBody(req, { maxBytes: hooks.maxBodyBytes });
    if (!body.ok) return sendJson(res, body.status, { ok: false, error: body.message });
    if (!isPlainObject(body.value))
      return sendJson(res, 400, { ok: false, error: "body must be a JSON object" });
    let reply: Reply;
    if (subPath === "wake" || subPath === "agent") {
      const action: Normalized<HookAction> =
        subPath === "wake" ? normalizeWake(body.value) : normalizeAgent(body.value);
      reply = action.ok ? dispatch(action.value, hooks, "request") : fail(400, action.error);
    } else {
      reply = mapped(hooks, {
        path: subPath,
        body: body.value,
        headers: headersOf(req),
        query: new Map(query),
      });
    }
    if (typeof reply.body === "string") sendText(res, reply.status, reply.body);
    else sendJson(res, reply.status, reply.body);
  }

  return {
    matches: (pathname) => {
      const hooks = activeHooks();
      if (!hooks) return false;
      const base = hooksBasePath(hooks.path);
      return pathname === base || pathname.startsWith(`${base}/`);
    },
    handle: (req, res) => {
      const hooks = activeHooks();
      if (!hooks) return sendText(res, 404, "Not Found");
      handle(req, res, hooks).catch((error: unknown) => {
        const known = error instanceof GatewayError ? error.shape : null;
        if (!known) deps.log.error(`hook request failed: ${String(error)}`);
        if (res.headersSent) return void res.end();
        if (known?.code === ErrorCodes.INVALID_REQUEST)
          sendJson(res, 400, { ok: false, error: known.message });
        else if (known?.code === ErrorCodes.UNAVAILABLE)
          sendJson(res, 503, { ok: false, error: known.message });
        else sendJson(res, 500, { ok: false, error: "internal error" });
      });
    },
  };
}

export interface GatewayHooksDeps {
  config(): CoderclawConfig;
  gateway: Pick<GatewayServices, "runs" | "store">;
  auth: GatewayAuth;
  access: GatewayAccess;
  log: SubsystemLogger;
  /** The channels' outbound side; null until channels exist (deliveries are then logged as skipped). */
  deliver(): HookDeliver | null;
}

/** The hooks route of one gateway instance. */
export function gatewayHooksRoute(deps: GatewayHooksDeps): HttpRoute {
  const dispatcher = new HookDispatcher({
    config: deps.config,
    runs: () => deps.gateway.runs,
    store: () => deps.gateway.store,
    deliver: deps.deliver,
    log: deps.log,
  });
  const gatewaySecrets = [deps.auth.token, deps.auth.password];
  return hooksRoute({ config: deps.config, gatewaySecrets, access: deps.access, dispatcher, log: deps.log });
}
