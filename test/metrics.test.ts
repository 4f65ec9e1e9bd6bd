import fs from "node:fs";
import { coreMethods } from "../src/methods/method-table.js";
import { useGateway } from "./helpers/gateway-fixture.js";
import { killAll, localConfig, makeTempHome, runCli, TEST_TOKEN } from "./helpers/gateway-process.js";
import { bearer, delta, openConnections, scrape, scrapeUntil } from "./helpers/metrics-scrape.js";
import { parseExposition, sampleValue } from "./helpers/prometheus-text.js";
import type { Frame } from "./helpers/ws-peer.js";

let nextKey = 0;
const key = (label: string) => `${label}-${process.pid}-${++nextKey}`;

describe("metrics endpoint, disabled (the default)", () => {
  const fixture = useGateway(localConfig());

  it("answers 404 at /metrics, with or without the token", async () => {
    const url = `http://127.0.0.1:${fixture.gateway.port}/metrics`;
    expect((await fetch(url, { headers: bearer(TEST_TOKEN) })).status).toBe(404);
    expect((await fetch(url)).status).toBe(404);
  });
});

describe("metrics endpoint, enabled", () => {
  const enabledConfig = localConfig(
    { metrics: { enabled: true } },
    {
      providers: { echo: { type: "echo", delayMs: 20 } },
      agents: { list: [{ id: "main", default: true }] },
    },
  );
  const fixture = useGateway(enabledConfig);
  const port = () => fixture.gateway.port;
  /** No connection of an earlier test is still open on the gateway. */
  const quiet = () => scrapeUntil(port(), (metrics) => openConnections(metrics) === 0, "no open connections");

  it("refuses a scrape without the token or with a wrong one (401) and serves the text format with it", async () => {
    const url = `http://127.0.0.1:${port()}/metrics`;
    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).not.toContain("coderclaw_");
    expect((await fetch(url, { headers: bearer("wrong-token") })).status).toBe(401);
    expect((await fetch(url, { method: "POST", headers: bearer(TEST_TOKEN) })).status).toBe(405);

    const res = await fetch(url, { headers: bearer(TEST_TOKEN) });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const metrics = parseExposition(await res.text());
    const families = [...metrics.types.keys()].filter((name) => name.startsWith("coderclaw_"));
    expect(families.sort()).toEqual(
      [
        "coderclaw_channel_accounts",
        "coderclaw_config_reloads_total",
        "coderclaw_connections",
        "coderclaw_events_dropped_total",
        "coderclaw_events_sent_total",
        "coderclaw_handshake_failures_total",
        "coderclaw_handshakes_total",
        "coderclaw_restarts_total",
        "coderclaw_rpc_duration_seconds",
        "coderclaw_rpc_requests_total",
        "coderclaw_run_duration_seconds",
        "coderclaw_runs_active",
        "coderclaw_runs_total",
        "coderclaw_slow_consumer_closes_total",
      ].sort(),
    );
    for (const family of families) expect(metrics.help.get(family)?.length).toBeGreaterThan(10);
    expect(metrics.types.get("coderclaw_rpc_duration_seconds")).toBe("histogram");
    expect(metrics.types.get("coderclaw_connections")).toBe("gauge");
    // The process: memory and event-loop lag, under their usual names.
    expect(sampleValue(metrics, "process_resident_memory_bytes")).toBeGreaterThan(10 * 1024 * 1024);
    expect(sampleValue(metrics, "nodejs_heap_size_used_bytes")).toBeGreaterThan(0);
    expect(metrics.types.get("nodejs_eventloop_lag_p99_seconds")).toBe("gauge");
    expect(sampleValue(metrics, "nodejs_eventloop_lag_p99_seconds")).toBeGreaterThan(0);
  });

  it("counts a handshake, an RPC and a refused handshake, and shows the open connection by state and mode", async () => {
    const before = await quiet();
    const peer = await fixture.connected();
    expect((await peer.request("health")).ok).toBe(true);
    const intruder = await fixture.open();
    expect((await intruder.connect({ auth: { token: "not-the-token" } })).ok).toBe(false);
    await intruder.waitClose();

    const after = await scrapeUntil(
      port(),
      (metrics) => openConnections(metrics) === 1,
      "one open connection",
    );
    expect(sampleValue(after, "coderclaw_connections", { state: "ready", mode: "test" })).toBe(1);
    expect(delta(before, after, "coderclaw_handshakes_total", { outcome: "ok" })).toBe(1);
    expect(delta(before, after, "coderclaw_handshakes_total", { outcome: "failed" })).toBe(1);
    expect(delta(before, after, "coderclaw_handshake_failures_total", { reason: "token_mismatch" })).toBe(1);
    expect(delta(before, after, "coderclaw_rpc_requests_total", { method: "health", outcome: "ok" })).toBe(1);
    expect(delta(before, after, "coderclaw_rpc_duration_seconds_count", { method: "health" })).toBe(1);
    expect(
      delta(before, after, "coderclaw_rpc_duration_seconds_bucket", { method: "health", le: "+Inf" }),
    ).toBe(1);
    // Cumulative buckets in ascending order, the last (+Inf) equal to the count.
    const buckets = after.samples.filter(
      (sample) =>
        sample.name === "coderclaw_rpc_duration_seconds_bucket" && sample.labels.method === "health",
    );
    const bounds = buckets.map((sample) =>
      sample.labels.le === "+Inf" ? Infinity : Number(sample.labels.le),
    );
    expect(bounds).toEqual([...bounds].sort((x, y) => x - y));
    expect(bounds.at(-1)).toBe(Infinity);
    buckets
      .slice(1)
      .forEach((sample, index) => expect(sample.value).toBeGreaterThanOrEqual(buckets[index]!.value));
    expect(buckets.at(-1)?.value).toBe(
      sampleValue(after, "coderclaw_rpc_duration_seconds_count", { method: "health" }),
    );
    expect(sampleValue(after, "coderclaw_rpc_duration_seconds_sum", { method: "health" })).toBeGreaterThan(0);

    // A connection that has not said connect yet is there too, without a mode.
    await fixture.open();
    const waiting = await scrapeUntil(port(), (metrics) => openConnections(metrics) === 2, "two connections");
    expect(sampleValue(waiting, "coderclaw_connections", { state: "awaiting-connect", mode: "none" })).toBe(
      1,
    );
  });

  it("counts refused handshakes by reason: a bad first frame, a protocol mismatch, no credentials", async () => {
    await quiet();
    const before = await scrape(port());
    const garbled = await fixture.open();
    await garbled.challenge();
    garbled.send("this is not json");
    await garbled.waitClose();
    const old = await fixture.open();
    expect((await old.connect({ auth: { token: TEST_TOKEN }, minProtocol: 1, maxProtocol: 2 })).ok).toBe(
      false,
    );
    const anonymous = await fixture.open();
    expect((await anonymous.connect()).error?.code).toBe("NOT_PAIRED");
    const after = await scrape(port());
    expect(delta(before, after, "coderclaw_handshakes_total", { outcome: "failed" })).toBe(3);
    expect(delta(before, after, "coderclaw_handshakes_total", { outcome: "ok" })).toBe(0);
    for (const reason of ["invalid_frame", "protocol_mismatch", "device_required"]) {
      expect(delta(before, after, "coderclaw_handshake_failures_total", { reason })).toBe(1);
    }
  });

  it("counts an agent run by outcome with its duration, and the events it fanned out", async () => {
    await quiet();
    const peer = await fixture.connected();
    const before = await scrape(port());
    const runId = key("run");
    const id = key("req");
    peer.send({
      type: "req",
      id,
      method: "agent",
      params: { message: "metrics count me", idempotencyKey: runId },
    });
    const final = await peer.until(
      () => peer.frames.filter((f: Frame) => f.type === "res" && f.id === id)[1],
      15_000,
      "the final response",
    );
    expect(final.payload.status).toBe("ok");
    const agentEvents = peer.events("agent").filter((e) => e.payload.runId === runId).length;
    const chatEvents = peer.events("chat").filter((e) => e.payload.runId === runId).length;
    expect(agentEvents).toBeGreaterThan(2);

    const after = await scrape(port());
    expect(delta(before, after, "coderclaw_runs_total", { outcome: "ok" })).toBe(1);
    expect(delta(before, after, "coderclaw_runs_total", { outcome: "error" })).toBe(0);
    expect(delta(before, after, "coderclaw_run_duration_seconds_count", { outcome: "ok" })).toBe(1);
    expect(delta(before, after, "coderclaw_run_duration_seconds_sum", { outcome: "ok" })).toBeGreaterThan(0);
    expect(sampleValue(after, "coderclaw_runs_active")).toBe(0);
    expect(delta(before, after, "coderclaw_rpc_requests_total", { method: "agent", outcome: "ok" })).toBe(1);
    // The only client received every event the run fanned out, and nothing was dropped.
    expect(delta(before, after, "coderclaw_events_sent_total", { event: "agent" })).toBe(agentEvents);
    expect(delta(before, after, "coderclaw_events_sent_total", { event: "chat" })).toBe(chatEvents);
    expect(delta(before, after, "coderclaw_events_dropped_total", { event: "agent" })).toBe(0);
  });

  it("counts a run aborted by chat.abort as aborted", async () => {
    await quiet();
    const peer = await fixture.connected();
    const before = await scrape(port());
    const runId = key("abort");
    const id = key("req");
    const message = Array.from({ length: 200 }, (_, i) => `word${i}`).join(" ");
    peer.send({ type: "req", id, method: "agent", params: { message, idempotencyKey: runId } });
    await peer.until(
      () => peer.events("agent").find((e) => e.payload.runId === runId && e.payload.stream === "assistant"),
      5_000,
      "the run streaming",
    );
    const abort = await peer.request("chat.abort", { sessionKey: "agent:main:main", runId });
    expect(abort.payload).toMatchObject({ aborted: true });
    await peer.until(
      () => peer.frames.filter((f: Frame) => f.type === "res" && f.id === id)[1],
      5_000,
      "the final response",
    );
    const after = await scrape(port());
    expect(delta(before, after, "coderclaw_runs_total", { outcome: "aborted" })).toBe(1);
    expect(delta(before, after, "coderclaw_runs_total", { outcome: "ok" })).toBe(0);
    expect(delta(before, after, "coderclaw_run_duration_seconds_count", { outcome: "aborted" })).toBe(1);
    expect(
      delta(before, after, "coderclaw_rpc_requests_total", { method: "chat.abort", outcome: "ok" }),
    ).toBe(1);
  });

  it("never turns a client's method name into a label: unknown methods count as `unknown`", async () => {
    await quiet();
    const peer = await fixture.connected();
    const before = await scrape(port());
    const hostile = ["__proto__", "constructor", 'evil"} 1\nforged_metric{a="', "m".repeat(2_000)];
    for (const method of hostile) {
      const res = await peer.request(method, {});
      expect(res.ok).toBe(false);
      expect(res.error?.code).toBe("INVALID_REQUEST");
    }
    const text = await (
      await fetch(`http://127.0.0.1:${port()}/metrics`, { headers: bearer(TEST_TOKEN) })
    ).text();
    expect(text).not.toContain("evil");
    expect(text).not.toContain("forged_metric");
    expect(text).not.toContain("__proto__");
    const after = parseExposition(text);
    expect(
      delta(before, after, "coderclaw_rpc_requests_total", { method: "unknown", outcome: "INVALID_REQUEST" }),
    ).toBe(hostile.length);
    const known = new Set([...coreMethods.map((spec) => spec.name), "unknown"]);
    const methodLabels = after.samples
      .filter((sample) => sample.name.startsWith("coderclaw_rpc_"))
      .map((sample) => sample.labels.method);
    expect(methodLabels.filter((method) => !known.has(method as string))).toEqual([]);
  });

  // Last in this block: it edits the gateway's config file (and puts it back).
  it("a reload to a metrics path under hooks.path is rejected, naming both keys, and the endpoint stays put", async () => {
    const peer = await fixture.connected();
    const clashing = {
      ...enabledConfig,
      gateway: { ...enabledConfig.gateway, metrics: { enabled: true, path: "/hooks/metrics" } },
    };
    try {
      fixture.home.writeConfig(clashing);
      const invalid = await peer.until(
        () => peer.events("reload").find((event) => event.payload.status === "invalid")?.payload,
        5_000,
        "the rejected reload",
      );
      expect(invalid.issues).toEqual([
        {
          path: "gateway.metrics.path",
          message:
            '"/hooks/metrics" collides with hooks.path "/hooks" (the webhook endpoints answer there); choose another gateway.metrics.path',
        },
      ]);
      expect(
        (await fetch(`http://127.0.0.1:${port()}/metrics`, { headers: bearer(TEST_TOKEN) })).status,
      ).toBe(200);
      expect(
        (await fetch(`http://127.0.0.1:${port()}/hooks/metrics`, { headers: bearer(TEST_TOKEN) })).status,
      ).toBe(404);
      expect(peer.events("shutdown")).toEqual([]);
    } finally {
      fixture.home.writeConfig(enabledConfig);
    }
  });
});

type Paused = { _socket: { pause(): void; resume(): void } };

describe("metrics of slow consumers", () => {
  const fixture = useGateway(localConfig({ metrics: { enabled: true }, maxBufferedBytes: 64 * 1024 }));

  it("counts droppable events skipped for a client that stopped reading, and its close as a slow consumer", async () => {
    const port = fixture.gateway.port;
    const driver = await fixture.connected({
      client: { id: "cli", version: "1", platform: "linux", mode: "cli" },
    });
    const slow = await fixture.connected();
    const before = await scrape(port);
    (slow.socket as unknown as Paused)._socket.pause();
    // Presence broadcasts of 400 KB each (droppable) fill the paused client's send buffer.
    for (let i = 0; i < 10; i += 1) {
      const instanceId = key("flood");
      await driver.request("system-event", { text: "z".repeat(400 * 1024), instanceId });
      await driver.until(
        () =>
          driver
            .events("presence")
            .some((e) =>
              (e.payload.presence as Array<{ instanceId?: string }>).some((p) => p.instanceId === instanceId),
            ),
        3_000,
        `presence with ${instanceId}`,
      );
    }
    // A health event may not be dropped: the slow client is closed instead.
    await driver.request("health", { probe: true });
    const after = await scrapeUntil(
      port,
      (metrics) => delta(before, metrics, "coderclaw_slow_consumer_closes_total", { source: "events" }) === 1,
      "the slow-consumer close",
    );
    expect(delta(before, after, "coderclaw_events_dropped_total", { event: "presence" })).toBeGreaterThan(0);
    expect(delta(before, after, "coderclaw_events_sent_total", { event: "presence" })).toBeGreaterThanOrEqual(
      10,
    );
    expect(delta(before, after, "coderclaw_slow_consumer_closes_total", { source: "replies" })).toBe(0);
    (slow.socket as unknown as Paused)._socket.resume();
    expect(await slow.waitClose(5_000)).toEqual({ code: 1008, reason: "slow consumer" });
  });
});

describe("a metrics path another endpoint answers", () => {
  const home = makeTempHome();
  afterAll(async () => {
    await killAll();
    home.cleanup();
  });

  it.each<[string, Record<string, unknown>, string, Record<string, unknown>]>([
    [
      "under /v1/",
      { metrics: { enabled: true, path: "/v1/metrics" } },
      '"/v1/metrics" is under /v1/, reserved for the OpenAI-compatible HTTP APIs; choose another gateway.metrics.path',
      {},
    ],
    [
      "at the Control UI's base path",
      { metrics: { enabled: true, path: "/ui/metrics" }, controlUi: { basePath: "/ui/" } },
      '"/ui/metrics" collides with gateway.controlUi.basePath "/ui/" (the Control UI answers there); choose another gateway.metrics.path',
      {},
    ],
    [
      "equal to hooks.path",
      { metrics: { enabled: true, path: "/ops" } },
      '"/ops" collides with hooks.path "/ops/" (the webhook endpoints answer there); choose another gateway.metrics.path',
      { hooks: { path: "/ops/" } },
    ],
  ])("%s: the gateway refuses to start, naming both keys", async (_case, gateway, message, rest) => {
    home.writeConfig(localConfig(gateway, rest));
    const run = await runCli(["gateway", "--port", "0"], home.env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `Config invalid\nFile: ${home.configPath}\nProblem:\n  - gateway.metrics.path: ${message}\n`,
    );
    expect(run.stdout).not.toMatch(/listening on/);
  });

  it("`config set` refuses a clash and leaves the file alone; with metrics off the path is not checked", async () => {
    home.writeConfig(localConfig());
    expect((await runCli(["config", "set", "hooks.path", "/metrics"], home.env)).code).toBe(0);
    const before = fs.readFileSync(home.configPath, "utf8");
    const refused = await runCli(["config", "set", "gateway.metrics.enabled", "true"], home.env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      '  - gateway.metrics.path: "/metrics" collides with hooks.path "/metrics" (the webhook endpoints answer there); choose another gateway.metrics.path',
    );
    expect(fs.readFileSync(home.configPath, "utf8")).toBe(before);
  });
});
