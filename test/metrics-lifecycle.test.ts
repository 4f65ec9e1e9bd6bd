/** Metrics across the gateway's life: config reload, requested and crash restarts, the config keys. */
import {
  killAll,
  localConfig,
  makeTempHome,
  runCli,
  startGateway,
  TEST_TOKEN,
  type GatewayProcess,
  type TempHome,
} from "./helpers/gateway-process.js";
import { bearer, scrape, scrapeUntil } from "./helpers/metrics-scrape.js";
import { startNgircd, type Ngircd } from "./helpers/ngircd.js";
import { parseExposition, sampleValue, type Exposition } from "./helpers/prometheus-text.js";
import { WsPeer } from "./helpers/ws-peer.js";

describe("metrics across a config reload and a restart", () => {
  let home: TempHome;
  let gateway: GatewayProcess | undefined;
  const config = localConfig({ metrics: { enabled: true, path: "/prom" } });
  beforeAll(async () => {
    home = makeTempHome();
    home.writeConfig(config);
    gateway = await startGateway(home.env);
  });
  afterAll(async () => {
    await gateway?.stop();
    await killAll();
    home.cleanup();
  });

  it("serves at gateway.metrics.path, counts a hot reload, and keeps counting across an in-process restart", async () => {
    const port = (gateway as GatewayProcess).port;
    expect((await fetch(`http://127.0.0.1:${port}/metrics`, { headers: bearer(TEST_TOKEN) })).status).toBe(
      404,
    );
    const initial = await scrape(port, "/prom");
    expect(sampleValue(initial, "coderclaw_restarts_total", { kind: "request" })).toBe(0);

    const admin = await WsPeer.open(`ws://127.0.0.1:${port}`);
    try {
      expect((await admin.connect({ auth: { token: TEST_TOKEN } })).ok).toBe(true);
      home.writeConfig({ ...config, logging: { level: "debug" } });
      await admin.until(() => admin.events("reload")[0], 5_000, "the reload event");
      const reloaded = await scrape(port, "/prom");
      expect(sampleValue(reloaded, "coderclaw_config_reloads_total", { outcome: "applied" })).toBe(1);
      expect(sampleValue(reloaded, "coderclaw_events_sent_total", { event: "reload" })).toBe(1);

      expect((await admin.request("gateway.restart.request", { reason: "metrics test" })).ok).toBe(true);
      expect((await admin.waitClose(10_000)).code).toBe(1012);
    } finally {
      admin.close();
    }
    // The restarted gateway answers on the same port; the counters carried on.
    const deadline = Date.now() + 10_000;
    let after: Exposition | null = null;
    while (!after && Date.now() < deadline) {
      const peer = await WsPeer.open(`ws://127.0.0.1:${port}`).catch(() => null);
      const hello = await peer?.connect({ auth: { token: TEST_TOKEN } }).catch(() => null);
      peer?.close();
      if (hello?.ok) after = await scrape(port, "/prom");
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(after).not.toBeNull();
    const restarted = after as Exposition;
    expect(sampleValue(restarted, "coderclaw_restarts_total", { kind: "request" })).toBe(1);
    expect(sampleValue(restarted, "coderclaw_handshakes_total", { outcome: "ok" })).toBeGreaterThanOrEqual(2);
    expect(sampleValue(restarted, "coderclaw_config_reloads_total", { outcome: "applied" })).toBe(1);
    expect(sampleValue(restarted, "process_start_time_seconds")).toBe(
      sampleValue(initial, "process_start_time_seconds"),
    );
  });
});

describe("metrics config", () => {
  afterEach(() => killAll());

  it("turning gateway.metrics.enabled on restarts the gateway, which then serves them", async () => {
    const home = makeTempHome();
    home.writeConfig(localConfig());
    const gateway = await startGateway(home.env);
    try {
      const url = `http://127.0.0.1:${gateway.port}/metrics`;
      expect((await fetch(url, { headers: bearer(TEST_TOKEN) })).status).toBe(404);
      home.writeConfig(localConfig({ metrics: { enabled: true } }));
      const deadline = Date.now() + 10_000;
      let status = 0;
      while (status !== 200 && Date.now() < deadline) {
        status = await fetch(url, { headers: bearer(TEST_TOKEN) }).then(
          (res) => res.status,
          () => 0,
        );
        if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(status).toBe(200);
      expect(gateway.output().stdout).toContain(
        "config change requires gateway restart (gateway.metrics.enabled)",
      );
    } finally {
      await gateway.stop();
      home.cleanup();
    }
  });

  it("counts a restart after the gateway failed as a crash", async () => {
    const home = makeTempHome();
    home.writeConfig(localConfig({ metrics: { enabled: true } }));
    // Test-only hook: the gateway's background services fail on their first start, once.
    const gateway = await startGateway({ ...home.env, CODERCLAW_FAULT_INJECTION: "gateway:services@1" });
    try {
      const deadline = Date.now() + 10_000;
      let restarts: Exposition | null = null;
      while (!restarts && Date.now() < deadline) {
        const res = await fetch(`http://127.0.0.1:${gateway.port}/metrics`, {
          headers: bearer(TEST_TOKEN),
        }).catch(() => null);
        const metrics = res?.status === 200 ? parseExposition(await res.text()) : null;
        if (metrics && sampleValue(metrics, "coderclaw_restarts_total", { kind: "crash" }) > 0)
          restarts = metrics;
        else await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(restarts).not.toBeNull();
      expect(sampleValue(restarts as Exposition, "coderclaw_restarts_total", { kind: "crash" })).toBe(1);
      expect(sampleValue(restarts as Exposition, "coderclaw_restarts_total", { kind: "request" })).toBe(0);
    } finally {
      await gateway.stop();
      home.cleanup();
    }
  });

  it("refuses to start with a metrics path the probes already own, naming the key", async () => {
    const home = makeTempHome();
    home.writeConfig(localConfig({ metrics: { enabled: true, path: "/healthz" } }));
    try {
      const result = await runCli(["gateway", "--port", "0"], home.env);
      expect(result.code).toBe(1);
      expect(result.stderr + result.stdout).toMatch(
        /gateway\.metrics\.path.*\/healthz is the gateway's own probe/,
      );
    } finally {
      home.cleanup();
    }
  });
});

describe("channel account metrics", () => {
  let ngircd: Ngircd | undefined;
  let home: TempHome | undefined;
  let gateway: GatewayProcess | undefined;
  afterAll(async () => {
    await gateway?.stop();
    await killAll();
    await ngircd?.stop();
    home?.cleanup();
  });

  it("shows an IRC account running, then reconnecting once its server is gone", async () => {
    ngircd = await startNgircd(["#room"]);
    home = makeTempHome();
    home.writeConfig(
      localConfig(
        { metrics: { enabled: true } },
        { channels: { irc: { host: "127.0.0.1", port: ngircd.port, tls: false, nick: "metricsbot" } } },
      ),
    );
    gateway = await startGateway(home.env);
    const port = gateway.port;
    const accounts = (metrics: Exposition, state: string) =>
      sampleValue(metrics, "coderclaw_channel_accounts", { channel: "irc", state });
    await scrapeUntil(port, (metrics) => accounts(metrics, "running") === 1, "the IRC account running");
    await ngircd.kill();
    const after = await scrapeUntil(
      port,
      (metrics) => accounts(metrics, "running") === 0,
      "the IRC account no longer running",
      15_000,
    );
    expect(accounts(after, "reconnecting") + accounts(after, "starting")).toBe(1);
  });
});
