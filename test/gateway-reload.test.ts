import fs from "node:fs";
import path from "node:path";
import { GatewayClient } from "../src/client/gateway-client.js";
import {
  killAll,
  localConfig,
  makeTempHome,
  startGateway,
  TEST_TOKEN,
  type GatewayProcess,
  type TempHome,
} from "./helpers/gateway-process.js";
import { readyOn, waitFor } from "./helpers/wait-for.js";
import { WsPeer, type Frame } from "./helpers/ws-peer.js";

const homes: TempHome[] = [];
const peers: WsPeer[] = [];
const clients: GatewayClient[] = [];

afterEach(async () => {
  peers.splice(0).forEach((peer) => peer.close());
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await killAll();
  homes.splice(0).forEach((home) => home.cleanup());
});

type Config = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function baseConfig(mode: string, extra: Config = {}): Config {
  return localConfig(
    { reload: { mode, debounceMs: 50 } },
    { providers: { echo: { type: "echo", delayMs: 5 } }, ...extra },
  );
}

/** How editors save: write a temp file next to it, then rename over the original. */
function editorWrite(home: TempHome, config: Config): void {
  const temp = path.join(path.dirname(home.configPath), `.coderclaw.json.${Date.now()}.swp`);
  fs.writeFileSync(temp, JSON.stringify(config, null, 2));
  fs.renameSync(temp, home.configPath);
}

async function start(config: Config): Promise<{ home: TempHome; gateway: GatewayProcess; admin: WsPeer }> {
  const home = makeTempHome();
  homes.push(home);
  home.writeConfig(config);
  const gateway = await startGateway(home.env);
  const admin = await WsPeer.open(gateway.url);
  peers.push(admin);
  expect((await admin.connect({ auth: { token: TEST_TOKEN } })).ok).toBe(true);
  return { home, gateway, admin };
}

/** After a restart: wait until the new instance reports ready on /readyz, then connect. */
async function reconnect(gateway: GatewayProcess): Promise<WsPeer> {
  await readyOn(gateway.port, 8_000);
  const peer = await WsPeer.open(gateway.url);
  peers.push(peer);
  expect((await peer.connect({ auth: { token: TEST_TOKEN } })).ok).toBe(true);
  return peer;
}

const reloadEvents = (peer: WsPeer) => peer.events("reload").map((e) => e.payload);
const untilReload = (peer: WsPeer, status: string) =>
  peer.until(() => reloadEvents(peer).find((r) => r.status === status), 5_000, `reload ${status}`);

function expectNoRestart(peer: WsPeer) {
  expect(peer.closed).toBeNull();
  expect(peer.events("shutdown")).toHaveLength(0);
}

describe("config reload", () => {
  it("hybrid: applies a hot change (a new provider) without restarting", async () => {
    const config = baseConfig("hybrid");
    const { home, admin } = await start(config);
    config.providers.other = { type: "echo", delayMs: 1 };
    config.agents = { defaults: { maxConcurrent: 2 } };
    editorWrite(home, config);
    const applied = await untilReload(admin, "applied");
    expect(applied.paths).toEqual(
      expect.arrayContaining(["providers.other", "agents.defaults.maxConcurrent"]),
    );
    const models = (await admin.request("models.list")).payload.models;
    expect(models.some((m: { provider: string }) => m.provider === "other")).toBe(true);
    expect((await admin.request("config.get")).payload.config.agents.defaults.maxConcurrent).toBe(2);
    expectNoRestart(admin);
  });

  it("hybrid: restarts on a restart-kind change, telling clients first (shutdown, then close 1012)", async () => {
    const config = baseConfig("hybrid");
    const { home, gateway, admin } = await start(config);
    config.gateway.tickIntervalMs = 20_000;
    editorWrite(home, config);
    expect(await admin.waitClose(8_000)).toEqual({ code: 1012, reason: "gateway restarting" });
    expect(admin.events("shutdown")[0]?.payload).toEqual({
      reason: "gateway restarting",
      restartExpectedMs: 1500,
    });
    expect(reloadEvents(admin).find((r) => r.status === "restarting")?.paths).toEqual([
      "gateway.tickIntervalMs",
    ]);
    const again = await reconnect(gateway);
    const hello = again.frames.find((f) => f.id === "connect");
    expect(hello?.payload.policy.tickIntervalMs).toBe(20_000);
    expect(gateway.child.exitCode).toBeNull();
  });

  it("hybrid: a none-kind change is applied without restart or action", async () => {
    const config = baseConfig("hybrid");
    const { home, admin } = await start(config);
    config.gateway.reload.debounceMs = 60;
    editorWrite(home, config);
    expect((await untilReload(admin, "applied")).paths).toEqual(["gateway.reload.debounceMs"]);
    expectNoRestart(admin);
  });

  it("keeps the running config when the new file is invalid, and reports every problem", async () => {
    const config = baseConfig("hybrid");
    const { home, gateway, admin } = await start(config);
    const hashBefore = (await admin.request("config.get")).payload.hash;
    editorWrite(home, { ...config, gateway: { ...config.gateway, port: "nope", bogus: true } });
    const invalid = await untilReload(admin, "invalid");
    expect(invalid.issues.map((i: { path: string }) => i.path)).toEqual(
      expect.arrayContaining(["gateway.bogus", "gateway.port"]),
    );
    // config.get shows the file as it is now (what the next write is checked against) ...
    const file = (await admin.request("config.get")).payload;
    expect(file.valid).toBe(false);
    expect(file.hash).not.toBe(hashBefore);
    // ... while the gateway keeps serving with the config it was running.
    expect((await admin.request("health")).ok).toBe(true);
    const again = await reconnect(gateway);
    expect(again.frames.find((f) => f.id === "connect")?.ok).toBe(true);
    expectNoRestart(admin);
  });

  it("hot mode reports a restart-only change instead of dropping it silently, and restarts nothing", async () => {
    const config = baseConfig("hot");
    const { home, admin } = await start(config);
    config.gateway.tickIntervalMs = 25_000;
    config.providers.late = { type: "echo" };
    editorWrite(home, config);
    const ignored = await untilReload(admin, "ignored");
    expect(ignored.paths).toEqual(["gateway.tickIntervalMs"]);
    const models = (await admin.request("models.list")).payload.models;
    expect(models.some((m: { provider: string }) => m.provider === "late")).toBe(false);
    expectNoRestart(admin);
  });

  it("hot mode applies hot changes", async () => {
    const config = baseConfig("hot");
    const { home, admin } = await start(config);
    config.providers.hotone = { type: "echo" };
    editorWrite(home, config);
    await untilReload(admin, "applied");
    expect(
      (await admin.request("models.list")).payload.models.some(
        (m: { provider: string }) => m.provider === "hotone",
      ),
    ).toBe(true);
  });

  it("restart mode restarts on any change, even a none-kind one", async () => {
    const config = baseConfig("restart");
    const { home, admin } = await start(config);
    config.gateway.reload.debounceMs = 70;
    editorWrite(home, config);
    expect((await admin.waitClose(8_000)).code).toBe(1012);
  });

  it("off mode applies nothing", async () => {
    const config = baseConfig("off");
    const { home, admin } = await start(config);
    config.providers.offone = { type: "echo" };
    editorWrite(home, config);
    await untilReload(admin, "disabled");
    expect(
      (await admin.request("models.list")).payload.models.some(
        (m: { provider: string }) => m.provider === "offone",
      ),
    ).toBe(false);
    expectNoRestart(admin);
  });

  it("does not loop: after a config restart the new gateway does not restart again", async () => {
    const config = baseConfig("hybrid");
    const { home, gateway, admin } = await start(config);
    config.gateway.tickIntervalMs = 21_000;
    editorWrite(home, config);
    await admin.waitClose(8_000);
    const peer = await reconnect(gateway);
    // A fixed window on purpose: no second restart may happen within it.
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expectNoRestart(peer);
    expect(
      gateway.output().stdout.match(/restart \(config change \(gateway.tickIntervalMs\)\)/g),
    ).toHaveLength(1);
  });

  it("`coderclaw gateway hot-reload` and config.reload re-read the file on demand", async () => {
    const config = baseConfig("hybrid");
    const { home, admin } = await start(config);
    const { runCli } = await import("./helpers/gateway-process.js");
    config.providers.manual = { type: "echo" };
    fs.writeFileSync(home.configPath, JSON.stringify(config));
    const result = await runCli(["gateway", "hot-reload"], {
      ...home.env,
      CODERCLAW_GATEWAY_PORT: String(new URL(admin.socket.url).port),
    });
    expect(result.stdout).toContain("Config hot-reload triggered");
    await untilReload(admin, "applied");
  });
});

describe("config writes over RPC", () => {
  it("config.patch needs the current baseHash; a stale one is refused and nothing is written", async () => {
    const { home, admin } = await start(baseConfig("hybrid"));
    const { hash } = (await admin.request("config.get")).payload;
    expect(
      (await admin.request("config.patch", { patch: { session: { mainKey: "x" } } })).error?.message,
    ).toBe("config base hash required; re-run config.get and retry");
    const ok = await admin.request("config.patch", {
      patch: { providers: { patched: { type: "echo" } } },
      baseHash: hash,
    });
    expect(ok.payload).toMatchObject({ ok: true, hash: expect.any(String) });
    const stale = await admin.request("config.patch", {
      patch: { session: { mainKey: "y" } },
      baseHash: hash,
    });
    expect(stale.error).toEqual({
      code: "INVALID_REQUEST",
      message: "config changed since last load; re-run config.get and retry",
    });
    const file = JSON.parse(fs.readFileSync(home.configPath, "utf8"));
    expect(file.providers.patched).toEqual({ type: "echo" });
    expect(file.session).toBeUndefined();
    expect(file.gateway.auth.token).toBe(TEST_TOKEN);
    expect(fs.existsSync(`${home.configPath}.bak`)).toBe(true);
    await untilReload(admin, "applied");
  });

  it("config.set refuses an invalid result with every problem and leaves the file alone", async () => {
    const { home, admin } = await start(baseConfig("hybrid"));
    const before = fs.readFileSync(home.configPath, "utf8");
    const { hash } = (await admin.request("config.get")).payload;
    const res = await admin.request("config.set", { path: "gateway.port", value: "abc", baseHash: hash });
    expect(res.error?.message).toMatch(/^invalid config: gateway\.port: /);
    expect(fs.readFileSync(home.configPath, "utf8")).toBe(before);
  });

  it("config.apply keeps redacted secrets as they were", async () => {
    const { home, admin } = await start(baseConfig("hybrid"));
    const got = (await admin.request("config.get")).payload;
    const next = { ...got.parsed, providers: { ...got.parsed.providers, applied: { type: "echo" } } };
    expect(next.gateway.auth.token).toBe("__CODERCLAW_REDACTED__");
    expect((await admin.request("config.apply", { config: next, baseHash: got.hash })).payload.ok).toBe(true);
    expect(JSON.parse(fs.readFileSync(home.configPath, "utf8")).gateway.auth.token).toBe(TEST_TOKEN);
  });

  it("config.schema gives every key its reloadKind; lookup answers one key", async () => {
    const { admin } = await start(baseConfig("hybrid"));
    const { keys } = (await admin.request("config.schema")).payload;
    expect(keys.find((k: { path: string }) => k.path === "gateway.port")).toMatchObject({
      reloadKind: "restart",
      default: 18789,
    });
    expect(keys.every((k: { reloadKind: string }) => ["hot", "restart", "none"].includes(k.reloadKind))).toBe(
      true,
    );
    expect(
      (await admin.request("config.schema.lookup", { path: "agents.defaults.maxConcurrent" })).payload
        .reloadKind,
    ).toBe("hot");
    expect((await admin.request("config.schema.lookup", { path: "nope.nope" })).error?.message).toBe(
      "unknown config path: nope.nope",
    );
  });
});

describe("restart with drain", () => {
  it("`coderclaw gateway restart` restarts a foreground gateway in place and reports that it came back", async () => {
    const { runCli } = await import("./helpers/gateway-process.js");
    const { home, gateway, admin } = await start(baseConfig("hybrid"));
    const env = { ...home.env, CODERCLAW_GATEWAY_PORT: String(gateway.port), PATH: "/usr/bin:/bin" };
    const result = await runCli(["gateway", "restart"], env, 30_000);
    expect(result.stdout).toContain(`Restarting the foreground gateway (pid ${gateway.child.pid}) in place.`);
    expect(result.stdout).toContain(`Gateway is ready on ws://127.0.0.1:${gateway.port}`);
    expect(result.code).toBe(0);
    expect(admin.events("shutdown")[0]?.payload).toEqual({
      reason: "gateway restarting",
      restartExpectedMs: 1500,
    });
    expect((await admin.waitClose()).code).toBe(1012);
    await reconnect(gateway);
  });

  it("finishes 20 in-flight runs, then sends shutdown with restartExpectedMs before 1012, and clients reconnect", async () => {
    const { gateway, admin } = await start(
      baseConfig("hybrid", { providers: { echo: { type: "echo", delayMs: 40 } } }),
    );
    const client = new GatewayClient({
      url: gateway.url,
      token: TEST_TOKEN,
      reconnect: true,
      client: { id: "test", mode: "test" },
    });
    clients.push(client);
    let hellos = 0;
    client.on("hello", () => (hellos += 1));
    await client.connect();
    const message = Array.from({ length: 15 }, (_, i) => `m${i}`).join(" ");
    const finals = Array.from({ length: 20 }, (_, i) =>
      client.request<{ status: string; result: { payloads: Array<{ text: string }> } }>(
        "agent",
        { message, idempotencyKey: `drain-${i}`, sessionKey: `agent:main:s${i}` },
        { expectFinal: true, timeoutMs: 20_000 },
      ),
    );
    await admin.until(() => admin.events("agent").length > 0, 5_000, "runs started");
    expect((await admin.request("gateway.restart.request", { reason: "test" })).payload).toMatchObject({
      ok: true,
    });
    const results = await Promise.all(finals);
    expect(results.every((r) => r.status === "ok" && r.result.payloads[0]?.text === message)).toBe(true);
    const closed = await admin.waitClose(10_000);
    expect(closed.code).toBe(1012);
    const shutdown = admin.events("shutdown")[0];
    expect(shutdown?.payload).toEqual({ reason: "gateway restarting", restartExpectedMs: 1500 });
    const lastFinalIndex = Math.max(
      ...admin.frames.map((f, i) => (f.event === "agent" && f.payload.data?.phase === "end" ? i : -1)),
    );
    expect(admin.frames.indexOf(shutdown as Frame)).toBeGreaterThan(lastFinalIndex);
    const deadline = Date.now() + 8_000;
    while (hellos < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(hellos).toBe(2);
    expect((await client.request<{ ok: boolean }>("health")).ok).toBe(true);
  });

  it("answers new runs with UNAVAILABLE (retryable) while draining, and persists leftovers as interrupted at the deadline", async () => {
    const config = baseConfig("hybrid", { providers: { echo: { type: "echo", delayMs: 200 } } });
    config.gateway.restart = { drainTimeoutMs: 600 };
    const { gateway, admin } = await start(config);
    const message = Array.from({ length: 40 }, (_, i) => `slow${i}`).join(" ");
    admin.send({ type: "req", id: "slow", method: "agent", params: { message, idempotencyKey: "slow-run" } });
    await admin.until(() => admin.events("agent").length > 1, 5_000, "slow run streaming");
    await admin.request("gateway.restart.request", {});
    await waitFor("the gateway draining", () =>
      fetch(`http://127.0.0.1:${gateway.port}/readyz`).then(async (response) =>
        ((await response.json()) as { state: string }).state === "draining" ? true : undefined,
      ),
    );
    const refused = await admin.request("agent", { message: "late", idempotencyKey: "late-run" });
    expect(refused.error).toMatchObject({ code: "UNAVAILABLE", retryable: true, retryAfterMs: 1500 });
    const final = await admin.until(
      () => admin.frames.filter((f) => f.id === "slow")[1],
      5_000,
      "slow final",
    );
    expect(final.payload).toMatchObject({ status: "error", stopReason: "interrupted" });
    await admin.waitClose(5_000);
    const peer = await reconnect(gateway);
    const history = (await peer.request("chat.history", { sessionKey: "agent:main:main" })).payload.messages;
    const reply = history.find(
      (m: { role: string; runId: string }) => m.role === "assistant" && m.runId === "slow-run",
    );
    expect(reply.state).toBe("interrupted");
    expect(message.startsWith(reply.content[0].text)).toBe(true);
    expect(reply.content[0].text.length).toBeGreaterThan(0);
  });
});
