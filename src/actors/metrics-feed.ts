import type { GatewayServices } from "../methods/services.js";
import type { GatewayMetrics } from "../metrics/gateway-metrics.js";
import type { ClientConnection } from "../transport/client-connection.js";
import type { EventBus } from "./event-bus.js";

export interface MetricsFeedSources {
  bus: EventBus;
  connections: ReadonlyMap<string, ClientConnection>;
  methods: readonly string[];
  services: GatewayServices;
}

/**
 * Points the metrics at one gateway instance: the bus facts they count (run ends, reloads) and what the
 * gauges read when scraped. The bus listeners go with the instance (its close removes them all).
 */
export function feedMetrics(metrics: GatewayMetrics, sources: MetricsFeedSources): void {
  const { bus, services } = sources;
  bus.on("agent", metrics.runEvent);
  bus.on("reload", metrics.reloaded);
  metrics.attach({
    connections: () => sources.connections.values(),
    methods: sources.methods,
    activeRuns: () => services.runs?.activeCount ?? 0,
    // A scrape without the channel gauge beats a failed scrape.
    channelAccounts: async () =>
      (await services.channels?.status(false, 0).catch(() => null))?.channelAccounts ?? null,
  });
}
