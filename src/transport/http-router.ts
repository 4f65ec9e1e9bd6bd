import type { IncomingMessage, ServerResponse } from "node:http";

export interface HttpRouterDeps {
  lifecycleState(): string;
  /** When this gateway instance started (changes on every in-process restart). */
  startedAt: number;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(text);
}

/** Plain HTTP on the gateway port: liveness and readiness probes; anything else is 404. */
export function createHttpRouter(deps: HttpRouterDeps) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const pathname = (req.url ?? "/").split("?")[0];
    const method = req.method ?? "GET";
    if ((method === "GET" || method === "HEAD") && pathname === "/healthz") {
      sendJson(res, 200, { ok: true, state: deps.lifecycleState() });
      return;
    }
    if ((method === "GET" || method === "HEAD") && pathname === "/readyz") {
      const state = deps.lifecycleState();
      sendJson(res, state === "ready" ? 200 : 503, {
        ready: state === "ready",
        state,
        startedAt: deps.startedAt,
      });
      return;
    }
    sendJson(res, 404, { error: { code: "NOT_FOUND", message: `no route for ${method} ${pathname}` } });
  };
}
