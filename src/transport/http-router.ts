import type { IncomingMessage, ServerResponse } from "node:http";
import { sendJson, sendText } from "./http-response.js";

/** An HTTP endpoint on the gateway port, claimed by its exact path or, with `matches`, by a test of the path. */
export type HttpRoute = { handle(req: IncomingMessage, res: ServerResponse): void } & (
  { path: string } | { matches(pathname: string): boolean }
);

const claims = (route: HttpRoute, pathname: string) =>
  "matches" in route ? route.matches(pathname) : route.path === pathname;

export interface HttpRouterDeps {
  lifecycleState(): string;
  /** Why state.db cannot be used or written now (the gateway is then not ready), or null. */
  storeProblem(): string | null;
  /** When this gateway instance started (changes on every in-process restart). */
  startedAt: number;
  /** The enabled API endpoints, tried in order after the probes. */
  routes: readonly HttpRoute[];
  /** Tried last (the Control UI): returns whether it claimed the request. */
  fallback?: (req: IncomingMessage, res: ServerResponse) => boolean;
  onError(error: unknown): void;
}

/** Plain HTTP on the gateway port: liveness and readiness probes, the enabled endpoints, the Control UI; anything else is 404. */
export function createHttpRouter(deps: HttpRouterDeps) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const pathname = (req.url ?? "/").split("?")[0] ?? "/";
    const method = req.method ?? "GET";
    if ((method === "GET" || method === "HEAD") && pathname === "/healthz") {
      sendJson(res, 200, { ok: true, state: deps.lifecycleState() });
      return;
    }
    if ((method === "GET" || method === "HEAD") && pathname === "/readyz") {
      const state = deps.lifecycleState();
      // Only a started gateway has a store to judge.
      const storeProblem = state === "ready" ? deps.storeProblem() : null;
      const ready = state === "ready" && storeProblem === null;
      sendJson(res, ready ? 200 : 503, {
        ready,
        state,
        startedAt: deps.startedAt,
        ...(storeProblem !== null ? { reason: storeProblem } : {}),
      });
      return;
    }
    const route = deps.routes.find((candidate) => claims(candidate, pathname));
    if (route) {
      try {
        route.handle(req, res);
      } catch (error) {
        deps.onError(error);
        if (!res.headersSent) sendText(res, 500, "Internal Server Error");
        else res.destroy();
      }
      return;
    }
    if (deps.fallback?.(req, res)) return;
    sendJson(res, 404, { error: { code: "NOT_FOUND", message: `no route for ${method} ${pathname}` } });
  };
}
