import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type Metric } from "prom-client";
import type { RpcObserver } from "../methods/dispatcher.js";
import { LatencyHistogram, type LatencySeries } from "./latency-histogram.js";
import {
  channelAccountStateLabel,
  clientModeLabel,
  connectionStateLabel,
  eventLabel,
  handshakeFailureReason,
  reloadOutcomeLabel,
  restartKindLabel,
  rpcOutcomeLabel,
  runOutcomeLabel,
  type RefusedHandshake,
} from "./metric-labels.js";

/** What the metrics read about one connection at scrape time (nothing is kept per connection). */
export interface ObservedConnection {
  readonly session: { readonly client: { readonly mode: string } } | null;
  readonly actor: { getSnapshot(): { readonly value: unknown } };
}

/** The running gateway instance, read at scrape time; replaced on every in-process restart. */
export interface MetricSources {
  connections(): Iterable<ObservedConnection>;
  /** Method names of the method table: any other name a client sends counts as `unknown`. */
  methods: Iterable<string>;
  activeRuns(): number;
  /** Channel id → the state of each of its accounts; null when channels are not running. */
  channelAccounts(): Promise<Record<string, Array<{ state: string }>> | null>;
}

/** The last `lifecycle` event of a run (`agent` event payload, stream `lifecycle`). */
export interface RunLifecycleFact {
  stream: string;
  data: Record<string, unknown>;
}

const RPC_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const RUN_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

/** One method's RPC figures, kept as plain numbers: requests cost no label hashing. */
interface MethodStats {
  /** Requests by outcome label. */
  outcomes: Map<string, number>;
  latency: LatencySeries;
}

/**
 * The gateway's Prometheus metrics, in a registry of their own (never prom-client's global one), so two
 * gateways in one process do not share series. One instance lives as long as the supervisor: counters
 * go on across in-process restarts, and the restarts themselves are counted. Gauges are computed when
 * scraped; the hot paths only bump counters.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  private sources: MetricSources | null = null;
  private knownMethods: ReadonlySet<string> = new Set();
  private readonly rpcStats = new Map<string, MethodStats>();

  private readonly handshakes;
  private readonly handshakeFailures;
  private readonly rpcDuration;
  private readonly runs;
  private readonly runDuration;
  private readonly eventsSent;
  private readonly eventsDropped;
  private readonly slowConsumerCloses;
  private readonly reloads;
  private readonly restarts;

  constructor() {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const metrics = this;
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
    new Gauge({
      name: "coderclaw_connections",
      help: "Open WebSocket connections by connection state and client mode (none before the handshake).",
      labelNames: ["state", "mode"],
      registers,
      collect: function (this: Gauge) {
        this.reset();
        // State → mode → count: both labels come from small fixed sets, so no key is built per connection.
        const counts = new Map<string, Map<string, number>>();
        for (const connection of metrics.sources?.connections() ?? []) {
          const state = connectionStateLabel(connection.actor.getSnapshot().value);
          const mode = clientModeLabel(connection.session?.client.mode);
          let byMode = counts.get(state);
          if (!byMode) counts.set(state, (byMode = new Map()));
          byMode.set(mode, (byMode.get(mode) ?? 0) + 1);
        }
        for (const [state, byMode] of counts) {
          for (const [mode, count] of byMode) this.set({ state, mode }, count);
        }
      },
    });
    this.handshakes = new Counter({
      name: "coderclaw_handshakes_total",
      help: "WebSocket handshakes by outcome (ok: hello-ok sent; failed: refused or timed out).",
      labelNames: ["outcome"],
      registers,
    });
    for (const outcome of ["ok", "failed"]) this.handshakes.inc({ outcome }, 0);
    this.handshakeFailures = new Counter({
      name: "coderclaw_handshake_failures_total",
      help: "Refused or timed-out WebSocket handshakes by reason.",
      labelNames: ["reason"],
      registers,
    });
    new Counter({
      name: "coderclaw_rpc_requests_total",
      help: "RPC requests by method (unknown for names not in the method table) and outcome (ok or the error code).",
      labelNames: ["method", "outcome"],
      registers,
      collect: function (this: Counter) {
        this.reset();
        for (const [method, stats] of metrics.rpcStats) {
          for (const [outcome, count] of stats.outcomes) this.inc({ method, outcome }, count);
        }
      },
    });
    this.rpcDuration = new LatencyHistogram(
      "coderclaw_rpc_duration_seconds",
      "Time from a request frame to its (first) response, by method.",
      "method",
      RPC_BUCKETS,
    );
    // The Registry reads a metric through name, help, type and get(): all the histogram provides.
    this.registry.registerMetric(this.rpcDuration as unknown as Metric);
    this.runs = new Counter({
      name: "coderclaw_runs_total",
      help: "Finished agent runs by outcome (ok, error, aborted, timeout, interrupted).",
      labelNames: ["outcome"],
      registers,
    });
    this.runDuration = new Histogram({
      name: "coderclaw_run_duration_seconds",
      help: "Time agent runs streamed, from start to end, by outcome (runs that never started are not observed).",
      labelNames: ["outcome"],
      buckets: RUN_BUCKETS,
      registers,
    });
    new Gauge({
      name: "coderclaw_runs_active",
      help: "Agent runs accepted and not yet finished (queued or streaming).",
      registers,
      collect: function (this: Gauge) {
        this.set(metrics.sources?.activeRuns() ?? 0);
      },
    });
    this.eventsSent = new Counter({
      name: "coderclaw_events_sent_total",
      help: "Event frames sent to clients, by event name (one per receiving connection).",
      labelNames: ["event"],
      registers,
    });
    this.eventsDropped = new Counter({
      name: "coderclaw_events_dropped_total",
      help: "Events not sent to clients over maxBufferedBytes, by event name (droppable ones are skipped; others close the client).",
      labelNames: ["event"],
      registers,
    });
    this.slowConsumerCloses = new Counter({
      name: "coderclaw_slow_consumer_closes_total",
      help: "Connections closed for leaving more than maxBufferedBytes unread, by what overflowed (events or replies).",
      labelNames: ["source"],
      registers,
    });
    for (const source of ["events", "replies"]) this.slowConsumerCloses.inc({ source }, 0);
    this.reloads = new Counter({
      name: "coderclaw_config_reloads_total",
      help: "Config reloads by outcome (applied, restarting, ignored, invalid, disabled, failed).",
      labelNames: ["outcome"],
      registers,
    });
    this.restarts = new Counter({
      name: "coderclaw_restarts_total",
      help: "In-process gateway restarts by kind (config, request, signal, crash).",
      labelNames: ["kind"],
      registers,
    });
    new Gauge({
      name: "coderclaw_channel_accounts",
      help: "Channel accounts by channel and account state.",
      labelNames: ["channel", "state"],
      registers,
      collect: async function (this: Gauge) {
        this.reset();
        const channels = (await metrics.sources?.channelAccounts()) ?? {};
        for (const [channel, accounts] of Object.entries(channels)) {
          const counts = new Map<string, number>();
          for (const { state } of accounts) {
            const label = channelAccountStateLabel(state);
            counts.set(label, (counts.get(label) ?? 0) + 1);
          }
          for (const [state, count] of counts) this.set({ channel, state }, count);
        }
      },
    });
  }

  /** The gateway instance now running (after each in-process restart), or null once it is closed. */
  attach(sources: MetricSources | null): void {
    this.sources = sources;
    if (sources) this.knownMethods = new Set(sources.methods);
  }

  /** The Prometheus text exposition of every metric. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  handshakeSucceeded(): void {
    this.handshakes.inc({ outcome: "ok" });
  }

  handshakeFailed(rejection: RefusedHandshake): void {
    this.handshakes.inc({ outcome: "failed" });
    this.handshakeFailures.inc({ reason: handshakeFailureReason(rejection) });
  }

  handshakeTimedOut(): void {
    this.handshakes.inc({ outcome: "failed" });
    this.handshakeFailures.inc({ reason: "timeout" });
  }

  /** The dispatcher's observer: every answered request, by method and outcome, with its latency. */
  readonly rpcObserver: RpcObserver = {
    active: () => true,
    served: (_session, method, durationMs, error) => this.requestDone(method, error?.code, durationMs),
  };

  /** A request answered: `errorCode` undefined for success. */
  requestDone(method: string, errorCode: string | undefined, durationMs: number): void {
    const stats = this.methodStats(this.knownMethods.has(method) ? method : "unknown");
    const outcome = rpcOutcomeLabel(errorCode);
    stats.outcomes.set(outcome, (stats.outcomes.get(outcome) ?? 0) + 1);
    stats.latency.observe(durationMs / 1000);
  }

  private methodStats(method: string): MethodStats {
    let stats = this.rpcStats.get(method);
    if (!stats) {
      stats = { outcomes: new Map(), latency: this.rpcDuration.seriesOf(method) };
      this.rpcStats.set(method, stats);
    }
    return stats;
  }

  /** One broadcast: how many connections it was sent to, and how many skipped it for being slow. */
  readonly eventFannedOut = (event: string, sent: number, dropped: number): void => {
    const label = eventLabel(event);
    if (sent > 0) this.eventsSent.inc({ event: label }, sent);
    if (dropped > 0) this.eventsDropped.inc({ event: label }, dropped);
  };

  slowConsumerClosed(source: "events" | "replies"): void {
    this.slowConsumerCloses.inc({ source });
  }

  /** Every `agent` event passes here; only a run's last lifecycle event counts. */
  readonly runEvent = (payload: RunLifecycleFact): void => {
    if (payload.stream !== "lifecycle") return;
    const { data } = payload;
    if (data.phase !== "end" && data.phase !== "error") return;
    const outcome = runOutcomeLabel(data);
    this.runs.inc({ outcome });
    const { startedAt, endedAt } = data;
    if (typeof startedAt === "number" && typeof endedAt === "number" && endedAt >= startedAt) {
      this.runDuration.observe({ outcome }, (endedAt - startedAt) / 1000);
    }
  };

  readonly reloaded = (outcome: { status: string }): void => {
    this.reloads.inc({ outcome: reloadOutcomeLabel(outcome.status) });
  };

  restarted(cause: string, crashes: number): void {
    this.restarts.inc({ kind: restartKindLabel(cause, crashes) });
  }
}
