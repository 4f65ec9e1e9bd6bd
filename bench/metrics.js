// Reading a gateway's Prometheus metrics (gateway.metrics.enabled) from the bench: one scrape, parsed.
import http from "node:http";

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function get(port, path, token) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path, headers: { authorization: `Bearer ${token}` } });
    req.on("response", (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode, body }));
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}

/** Every sample of a scrape as { name, labels, value }; null when the server serves no metrics (404). */
export async function scrapeMetrics(server) {
  const { status, body } = await get(server.port, "/metrics", server.token);
  if (status === 404) return null;
  if (status !== 200) throw new Error(`GET /metrics: HTTP ${status}`);
  const samples = [];
  for (const line of body.split("\n")) {
    const match = line.startsWith("#") ? null : SAMPLE.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries([...(match[2] ?? "").matchAll(LABEL)].map((m) => [m[1], m[2]]));
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/** The sum of the samples named `name` whose labels include `labels`. */
export function metricSum(samples, name, labels = {}) {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

const round2 = (value) => Math.round(value * 100) / 100;

/** The figures a bench row may show next to its own: what the gateway says about itself. */
export function gatewayFigures(samples) {
  return {
    rss_mb: round2(metricSum(samples, "process_resident_memory_bytes") / 1024 / 1024),
    heap_used_mb: round2(metricSum(samples, "nodejs_heap_size_used_bytes") / 1024 / 1024),
    event_loop_p99_ms: round2(metricSum(samples, "nodejs_eventloop_lag_p99_seconds") * 1000),
    connections_ready: metricSum(samples, "coderclaw_connections", { state: "ready" }),
    handshakes_ok: metricSum(samples, "coderclaw_handshakes_total", { outcome: "ok" }),
    handshakes_failed: metricSum(samples, "coderclaw_handshakes_total", { outcome: "failed" }),
    rpc_requests: metricSum(samples, "coderclaw_rpc_requests_total"),
    events_dropped: metricSum(samples, "coderclaw_events_dropped_total"),
    slow_consumer_closes: metricSum(samples, "coderclaw_slow_consumer_closes_total"),
  };
}
