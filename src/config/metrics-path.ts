/** `gateway.metrics.path`: where the Prometheus endpoint answers, and what makes a path usable. */
export const DEFAULT_METRICS_PATH = "/metrics";

/** Paths the router answers before any endpoint: metrics there would never be reached. */
const PROBE_PATHS = new Set(["/healthz", "/readyz"]);

/** Why a `gateway.metrics.path` cannot be used, or null. */
export function metricsPathProblem(path: unknown): string | null {
  if (typeof path !== "string") return "must be a string";
  if (!path.startsWith("/")) return 'must start with "/"';
  if (path === "/" || path.endsWith("/")) return 'must not be "/" or end with "/"';
  if (path.split("/").some((segment) => segment === "..")) return 'must not contain ".."';
  if (/[\s?#%\\]/.test(path)) return "must not contain whitespace, ?, #, % or \\";
  if (PROBE_PATHS.has(path)) return `${path} is the gateway's own probe`;
  return null;
}
