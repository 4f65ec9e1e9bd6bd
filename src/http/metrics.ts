import type { GatewayMetrics } from "../metrics/gateway-metrics.js";
import type { GatewayAccess } from "../transport/access.js";
import { sendText } from "../transport/http-response.js";
import type { HttpRoute } from "../transport/http-router.js";
import { authorizeHttp } from "./http-auth.js";
import { sendMethodNotAllowed } from "./openai-errors.js";

export interface MetricsRouteDeps {
  access: GatewayAccess;
  metrics: GatewayMetrics;
  /** `gateway.metrics.path`. */
  path: string;
  onError(error: unknown): void;
}

/**
 * `GET <gateway.metrics.path>`: the Prometheus text exposition, behind the same bearer secret (and rate
 * limiter) as the other operator HTTP APIs. Registered only while `gateway.metrics.enabled` is true.
 */
export function metricsRoute(deps: MetricsRouteDeps): HttpRoute {
  return {
    path: deps.path,
    handle(req, res) {
      if (req.method !== "GET" && req.method !== "HEAD") {
        sendMethodNotAllowed(res, "GET, HEAD");
        return;
      }
      if (!authorizeHttp(deps.access, req, res)) return;
      deps.metrics.scrape().then(
        (text) =>
          sendText(res, 200, text, { "content-type": deps.metrics.contentType, "cache-control": "no-store" }),
        (error: unknown) => {
          deps.onError(error);
          if (!res.headersSent) sendText(res, 500, "metrics collection failed\n");
        },
      );
    },
  };
}
