/** Scraping a test gateway's /metrics with a real HTTP client (fetch), parsed. */
import { TEST_TOKEN } from "./gateway-process.js";
import { parseExposition, sampleValue, type Exposition } from "./prometheus-text.js";

export const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

export async function scrape(port: number, path = "/metrics"): Promise<Exposition> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: bearer(TEST_TOKEN) });
  expect(res.status).toBe(200);
  return parseExposition(await res.text());
}

/** Scrapes until `predicate` holds (gauges follow sockets that close asynchronously). */
export async function scrapeUntil(
  port: number,
  predicate: (metrics: Exposition) => boolean,
  what: string,
  timeoutMs = 5_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const metrics = await scrape(port);
    if (predicate(metrics)) return metrics;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const openConnections = (metrics: Exposition) =>
  metrics.samples
    .filter((sample) => sample.name === "coderclaw_connections")
    .reduce((sum, sample) => sum + sample.value, 0);

/** The change of the named sample between two scrapes. */
export const delta = (
  before: Exposition,
  after: Exposition,
  name: string,
  labels: Record<string, string> = {},
) => sampleValue(after, name, labels) - sampleValue(before, name, labels);
