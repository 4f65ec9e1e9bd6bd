/** `gateway.metrics.*` against the rest of coderclaw.json: a metrics path no other endpoint of the port answers. */
import type { CoderclawConfig } from "./schema.js";

/** The OpenAI-compatible HTTP APIs (`/v1/chat/completions`, `/v1/responses`, `/v1/models`) live here. */
const OPENAI_API_PREFIX = "/v1";

/** What a Control UI served at the root claims for itself (its assets and bootstrap JSON). */
const ROOT_CONTROL_UI_PREFIXES = ["/assets", "/__coderclaw"];

const within = (path: string, base: string) => path === base || path.startsWith(`${base}/`);

/** `"/ui/"` → `"/ui"`, `""`/`"/"` → `""` (how the Control UI and the hooks route read their base paths). */
const basePathOf = (path: string) => {
  const trimmed = path.trim().replace(/\/+$/, "");
  return trimmed === "" || trimmed.startsWith("/") ? trimmed : `/${trimmed}`;
};

/**
 * A metrics path another endpoint of the gateway port already answers: the scrape would get the
 * webhooks, the OpenAI APIs or the Control UI instead (or take a page from them). Checked while
 * metrics are enabled, against the other endpoints whether or not they are on (hooks and the APIs
 * can be switched on by a reload without touching the metrics path).
 */
export function metricsRouteIssues(config: CoderclawConfig): Array<{ path: string; message: string }> {
  const { metrics, controlUi } = config.gateway;
  if (!metrics.enabled) return [];
  const path = metrics.path;
  const clash = (message: string) => [
    { path: "gateway.metrics.path", message: `"${path}" ${message}; choose another gateway.metrics.path` },
  ];
  const hooksBase = basePathOf(config.hooks.path);
  if (hooksBase !== "" && within(path, hooksBase)) {
    return clash(`collides with hooks.path "${config.hooks.path}" (the webhook endpoints answer there)`);
  }
  if (within(path, OPENAI_API_PREFIX)) {
    return clash(`is under ${OPENAI_API_PREFIX}/, reserved for the OpenAI-compatible HTTP APIs`);
  }
  if (controlUi.enabled) {
    const uiBase = basePathOf(controlUi.basePath);
    if (uiBase !== "" && within(path, uiBase)) {
      return clash(
        `collides with gateway.controlUi.basePath "${controlUi.basePath}" (the Control UI answers there)`,
      );
    }
    const reserved =
      uiBase === "" ? ROOT_CONTROL_UI_PREFIXES.find((prefix) => within(path, prefix)) : undefined;
    if (reserved) {
      return clash(
        `is under ${reserved}/, which the Control UI serves (gateway.controlUi.basePath is the root)`,
      );
    }
  }
  return [];
}
