import fs from "node:fs";
import path from "node:path";
import { useGateway } from "./helpers/gateway-fixture.js";
import { localConfig, runCli, TEST_TOKEN } from "./helpers/gateway-process.js";
import { waitFor } from "./helpers/wait-for.js";
import { WsPeer } from "./helpers/ws-peer.js";

describe("core methods and HTTP probes", () => {
  const fixture = useGateway(
    localConfig(
      { remote: { password: "remote-secret" } },
      {
        providers: { ai: { type: "openai", baseUrl: "http://127.0.0.1:9/v1", apiKey: "sk-provider-secret" } },
      },
    ),
  );
  const connected = (params: Record<string, unknown> = {}) => fixture.connected(params);

  it("GET /healthz answers 200 while the process serves", async () => {
    const res = await fetch(`http://127.0.0.1:${fixture.gateway.port}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, state: "ready" });
  });

  it("GET /readyz answers 200 when the gateway machine is ready", async () => {
    const res = await fetch(`http://127.0.0.1:${fixture.gateway.port}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ready: true, state: "ready", startedAt: expect.any(Number) });
  });

  it("answers 404 for any other path", async () => {
    // "/" is the Control UI (test/control-ui-serving.test.ts).
    for (const target of ["/v1/models", "/healthz/extra"]) {
      const res = await fetch(`http://127.0.0.1:${fixture.gateway.port}${target}`);
      expect(res.status).toBe(404);
    }
  });

  it("serves WebSocket and HTTP on the same port, on 127.0.0.1 and ::1", async () => {
    const peer = await WsPeer.open(`ws://[::1]:${fixture.gateway.port}`);
    try {
      expect((await peer.connect({ auth: { token: TEST_TOKEN } })).ok).toBe(true);
    } finally {
      peer.close();
    }
  });

  it("health returns the cached summary; probe: true refreshes it", async () => {
    const peer = await connected();
    const cached = (await peer.request("health")).payload;
    expect(cached).toMatchObject({ ok: true, defaultAgentId: "main", channels: {}, sessions: { count: 0 } });
    const probed = (await peer.request("health", { probe: true })).payload;
    expect(probed.ts).toBeGreaterThanOrEqual(cached.ts);
    await peer.until(() => peer.events("health").length > 0, 3_000, "health event");
    const event = peer.events("health")[0];
    expect(event?.stateVersion?.health).toBeGreaterThan(1);
  });

  it("status reports the lifecycle state, listener and paths", async () => {
    const peer = await connected();
    const status = (await peer.request("status")).payload;
    expect(status.gateway).toMatchObject({
      state: "ready",
      port: fixture.gateway.port,
      bind: "loopback",
      authMode: "token",
      configPath: fixture.home.configPath,
      stateDir: fixture.home.stateDir,
      pid: fixture.gateway.child.pid,
    });
    expect(status.connections.count).toBeGreaterThanOrEqual(1);
  });

  it("system-event records presence and broadcasts it; system-presence lists it after the gateway's self entry", async () => {
    const watcher = await connected();
    const peer = await connected();
    const res = await peer.request("system-event", {
      text: "node online",
      instanceId: "node-1",
      host: "lab",
    });
    expect(res.payload).toMatchObject({ ok: true });
    await watcher.until(
      () =>
        watcher
          .events("presence")
          .find((e) => e.payload.presence.some((p: { instanceId?: string }) => p.instanceId === "node-1")),
      2_000,
      "presence with node-1",
    );
    const list = (await peer.request("system-presence")).payload as Array<{
      reason?: string;
      instanceId?: string;
      text?: string;
    }>;
    expect(list[0]?.reason).toBe("self");
    expect(list.find((entry) => entry.instanceId === "node-1")?.text).toBe("node online");
  });

  it("last-heartbeat is null until a heartbeat happens; set-heartbeats toggles heartbeats", async () => {
    const peer = await connected();
    expect((await peer.request("last-heartbeat")).payload).toBeNull();
    expect((await peer.request("set-heartbeats", { enabled: false })).payload).toEqual({
      ok: true,
      enabled: false,
    });
    expect((await peer.request("status")).payload.heartbeat.enabled).toBe(false);
    await peer.request("set-heartbeats", { enabled: true });
  });

  it("config.get returns the file with secrets redacted and a hash of its content", async () => {
    const peer = await connected();
    const snapshot = (await peer.request("config.get")).payload;
    expect(snapshot.path).toBe(fixture.home.configPath);
    expect(snapshot.valid).toBe(true);
    expect(snapshot.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(snapshot.parsed.gateway.auth.token).toBe("__CODERCLAW_REDACTED__");
    expect(snapshot.config.gateway.remote.password).toBe("__CODERCLAW_REDACTED__");
    expect(JSON.stringify(snapshot)).not.toContain(TEST_TOKEN);
    expect(snapshot.parsed.providers.ai.apiKey).toBe("__CODERCLAW_REDACTED__");
    expect(JSON.stringify(snapshot)).not.toContain("sk-provider-secret");
  });

  it("logs.tail returns whole log lines and a cursor; the next call returns only newer lines", async () => {
    const peer = await connected();
    const first = (await peer.request("logs.tail", {})).payload;
    expect(first.file).toBe(path.join(fixture.home.stateDir, "logs", "gateway.log"));
    expect(first.lines.length).toBeGreaterThan(0);
    expect(() => first.lines.map((line: string) => JSON.parse(line))).not.toThrow();
    expect(first.lines.join("\n")).toContain("listening on ws://127.0.0.1");
    const rejected = await fixture.open();
    await rejected.connect({ auth: { token: "tail-marker-wrong-token" } });
    const next = await waitFor("the rejection in logs.tail", async () => {
      const tail = (await peer.request("logs.tail", { cursor: first.cursor })).payload;
      return tail.lines.some((line: string) => line.includes("connect rejected")) ? tail : undefined;
    });
    expect(next.reset).toBe(false);
    expect(next.lines.some((line: string) => line.includes("connect rejected: unauthorized"))).toBe(true);
    expect(next.lines.some((line: string) => line.includes("listening on ws://"))).toBe(false);
    expect(fs.readFileSync(first.file, "utf8")).not.toContain(TEST_TOKEN);
  });

  it("logs.tail with a cursor beyond the file size resets", async () => {
    const peer = await connected();
    const tail = (await peer.request("logs.tail", { cursor: 10_000_000_000 })).payload;
    expect(tail.reset).toBe(true);
  });

  it("inspect.snapshot shows supervisor → gateway → connections → connection actors with their states", async () => {
    const peer = await connected();
    const { actors } = (await peer.request("inspect.snapshot")).payload;
    const supervisor = actors.find((a: { id: string }) => a.id === "supervisor");
    expect(supervisor.state).toEqual({ supervising: { gateway: "running", reload: "running" } });
    const gatewayNode = supervisor.children.find((c: { machine: string }) => c.machine === "gateway");
    expect(gatewayNode.state).toBe("ready");
    const host = gatewayNode.children.find((c: { id: string }) => c.id === "connections");
    expect(host.status).toBe("active");
    const connections = host.children.filter((c: { id: string }) => c.id.startsWith("connection:"));
    expect(connections.length).toBeGreaterThanOrEqual(1);
    expect(connections.every((c: { state: string }) => c.state === "ready")).toBe(true);
    // Invoked actors are named for what they do, not by xstate's generated ids.
    expect(gatewayNode.children.map((c: { id: string }) => c.id)).toContain("services");
    const reload = supervisor.children.find((c: { machine: string }) => c.machine === "reload");
    expect(reload.children.map((c: { id: string }) => c.id)).toEqual(["watchConfig"]);
  });

  it("`coderclaw gateway inspect` prints the live tree", async () => {
    const result = await runCli(["gateway", "inspect"], {
      ...fixture.home.env,
      CODERCLAW_GATEWAY_PORT: String(fixture.gateway.port),
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^supervisor {2}supervising\.gateway\.running, reload\.running$/m);
    expect(result.stdout).toMatch(/gateway {2}ready/);
    expect(result.stdout).toMatch(/connection:[0-9a-f-]{36} {2}ready/);
  });

  it("`coderclaw gateway inspect --follow` prints transitions as connections come and go", async () => {
    const { spawn } = await import("node:child_process");
    const { CLI } = await import("./helpers/gateway-process.js");
    const child = spawn(process.execPath, [CLI, "gateway", "inspect", "--follow"], {
      env: { ...fixture.home.env, CODERCLAW_GATEWAY_PORT: String(fixture.gateway.port) },
    });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    try {
      await waitFor("the live tree", () => (stdout.includes("supervisor") ? true : undefined), 8_000);
      const visitor = await connected();
      visitor.close();
      await waitFor(
        "the visitor closed",
        () => (/connection:\S+ {2}closed/.test(stdout) ? true : undefined),
        8_000,
      );
      expect(stdout).toMatch(/connection:\S+ {2}started/);
      expect(stdout).toMatch(/connection:\S+ {2}ready \(AUTHENTICATED\)/);
      // The parent of the connections has no state of its own to report when one of them ends.
      expect(stdout).not.toMatch(/connections .*xstate\.done\.actor/);
      expect(stdout).toMatch(/connection:\S+ {2}closed \[done\]/);
    } finally {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    }
  });

  it("`coderclaw gateway inspect` fails fast with the target when no gateway listens", async () => {
    const started = Date.now();
    const result = await runCli(["gateway", "inspect"], { ...fixture.home.env, CODERCLAW_GATEWAY_PORT: "1" });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("nothing is listening on ws://127.0.0.1:1");
    expect(result.stderr).toContain("Gateway target: ws://127.0.0.1:1");
    // No retry loop: well under the client's 10 s connect timeout, with room for a loaded machine.
    expect(Date.now() - started).toBeLessThan(6_000);
  });
});
