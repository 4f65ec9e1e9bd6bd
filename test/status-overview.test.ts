import fs from "node:fs";
import path from "node:path";
import { localConfig, runCli, startGateway, TEST_TOKEN } from "./helpers/gateway-process.js";
import { freePort, useCliHomes } from "./helpers/start-tools.js";

jest.setTimeout(60_000);

/** One CLI run; generous because CI machines run several suites (and gateways) at once. */
const CLI_TIMEOUT_MS = 45_000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed CLI JSON, asserted field by field
type Json = any;

const homes = useCliHomes();
const gateways = homes.gateways;
const newHome = homes.configured;

/** The value cell of an Overview row. */
function row(stdout: string, item: string): string {
  const line = stdout.split("\n").find((l) => l.startsWith(`│ ${item} `));
  if (!line) throw new Error(`no "${item}" row in:\n${stdout}`);
  return line.split("│")[2]!.trim();
}

describe("coderclaw status", () => {
  it("reachable: the Overview rows say where, how fast, with which auth, and what runs", async () => {
    const { home, port } = await newHome((p) =>
      localConfig({ port: p }, { agents: { list: [{ id: "ops", default: true }, { id: "research" }] } }),
    );
    const gateway = await startGateway(home.env, ["gateway"]);
    gateways.push(gateway);
    const { code, stdout } = await runCli(["status"], home.env, CLI_TIMEOUT_MS);
    expect(code).toBe(0);
    expect(stdout).toContain("Overview\n");
    expect(row(stdout, "Gateway")).toMatch(
      new RegExp(
        `^local · ws://127\\.0\\.0\\.1:${port} \\(running gateway pid ${gateway.child.pid}\\) · reachable \\d+ms · auth token · .+ app \\S+ linux$`,
      ),
    );
    expect(row(stdout, "Gateway service")).toBe("coderclaw-gateway.service not installed");
    expect(row(stdout, "Agents")).toBe("2 · ops (default), research");
    expect(row(stdout, "Sessions")).toBe(`0 · ${path.join(home.stateDir, "state.db")}`);
    expect(row(stdout, "Channels")).toBe("none configured");
    expect(row(stdout, "Heartbeat")).toBe("disabled");
    expect(stdout).not.toContain(TEST_TOKEN);
  });

  it("Heartbeat says what health says: disabled while nothing schedules heartbeats, even switched on", async () => {
    const { home } = await newHome();
    gateways.push(await startGateway(home.env, ["gateway"]));
    const switched = await runCli(
      ["gateway", "call", "set-heartbeats", "--params", '{"enabled":true}'],
      home.env,
      CLI_TIMEOUT_MS,
    );
    expect(switched.code).toBe(0);
    const [status, health, json] = await Promise.all([
      runCli(["status"], home.env, CLI_TIMEOUT_MS),
      runCli(["health"], home.env, CLI_TIMEOUT_MS),
      runCli(["status", "--json"], home.env, CLI_TIMEOUT_MS),
    ]);
    expect(row(status.stdout, "Heartbeat")).toBe("disabled");
    expect(health.stdout.split("\n")).toContain("Heartbeat interval: disabled");
    expect((JSON.parse(json.stdout) as Json).heartbeat).toEqual({
      enabled: false,
      intervalSeconds: 0,
      switchedOn: true,
      last: null,
    });
  });

  it("an invalid config is said first, with every problem, and the rest is still reported (exit 0)", async () => {
    const { home } = await newHome();
    fs.writeFileSync(home.configPath, '{ gateway: { mode: "local", port: "not-a-port", bogus: true } }');
    const { code, stdout } = await runCli(["status"], home.env, CLI_TIMEOUT_MS);
    expect(code).toBe(0);
    const lines = stdout.split("\n");
    expect(lines.slice(0, 3)).toEqual(["Config invalid", `File: ${home.configPath}`, "Problem:"]);
    expect(lines).toContain("  - gateway.bogus: unknown key");
    expect(lines.some((line) => /^ {2}- gateway\.port: .+/.test(line))).toBe(true);
    expect(lines).toContain("Run: coderclaw doctor --fix");
    expect(lines).toContain("Showing what can be found without it (defaults in its place).");
    expect(row(stdout, "Agents")).toBe("1 · main (default) · from config");
    expect(row(stdout, "Sessions")).toBe(`0 · ${path.join(home.stateDir, "state.db")}`);
    const json: Json = JSON.parse((await runCli(["status", "--json"], home.env, CLI_TIMEOUT_MS)).stdout);
    expect(json.config).toMatchObject({ path: home.configPath, exists: true, valid: false });
    expect(json.config.issues).toContainEqual({ path: "gateway.bogus", message: "unknown key" });
  });

  it("unreachable is reported, not an error (exit 0), with agents and sessions from local state", async () => {
    const { home, port } = await newHome();
    const { code, stdout } = await runCli(["status"], home.env, CLI_TIMEOUT_MS);
    expect(code).toBe(0);
    expect(row(stdout, "Gateway")).toMatch(
      new RegExp(
        `^local · ws://127\\.0\\.0\\.1:${port} \\(local loopback\\) · unreachable \\(nothing is listening on ws://127\\.0\\.0\\.1:${port}\\) · auth token$`,
      ),
    );
    expect(row(stdout, "Agents")).toBe("1 · main (default) · from config");
    expect(row(stdout, "Sessions")).toBe(`0 · ${path.join(home.stateDir, "state.db")}`);
    expect(stdout).toContain("Gateway not reachable. Start it with: coderclaw gateway");
  });

  it("--json: gateway, gatewayService, agents, health (reachable) without secrets", async () => {
    const { home, port } = await newHome();
    const gateway = await startGateway(home.env, ["gateway"]);
    gateways.push(gateway);
    const { code, stdout } = await runCli(["status", "--json", "--deep"], home.env, CLI_TIMEOUT_MS);
    expect(code).toBe(0);
    expect(stdout).not.toContain(TEST_TOKEN);
    const status: Json = JSON.parse(stdout);
    expect(status.gateway).toEqual({
      mode: "local",
      url: `ws://127.0.0.1:${port}`,
      urlSource: `running gateway pid ${gateway.child.pid}`,
      misconfigured: false,
      reachable: true,
      connectLatencyMs: expect.any(Number),
      self: expect.objectContaining({ pid: gateway.child.pid, state: "ready", platform: "linux" }),
      error: null,
      auth: "token",
      tlsFingerprint: null,
    });
    expect(status.gatewayService).toMatchObject({
      label: "coderclaw-gateway.service",
      installed: false,
      loaded: false,
    });
    expect(status.agents).toMatchObject({
      source: "gateway",
      defaultId: "main",
      agents: [{ id: "main", default: true }],
    });
    expect(status.health).toMatchObject({ ok: true, defaultAgentId: "main" });
    expect(status.sessions).toEqual({ count: 0, path: path.join(home.stateDir, "state.db") });
    expect(status).toHaveProperty("lastHeartbeat");
  });

  it("--json when unreachable: reachable false, the error, no health", async () => {
    const { home } = await newHome();
    const status: Json = JSON.parse((await runCli(["status", "--json"], home.env, CLI_TIMEOUT_MS)).stdout);
    expect(status.gateway).toMatchObject({ reachable: false, connectLatencyMs: null, self: null });
    expect(status.gateway.error).toMatch(/^nothing is listening on ws:\/\/127\.0\.0\.1:\d+$/);
    expect(status).not.toHaveProperty("health");
    expect(status.agents.source).toBe("config");
  });

  it("shows an installed service in the Gateway service row", async () => {
    const { home } = await newHome();
    await runCli(["gateway", "install"], home.env, CLI_TIMEOUT_MS);
    const { stdout } = await runCli(["status"], home.env, CLI_TIMEOUT_MS);
    expect(row(stdout, "Gateway service")).toMatch(/^coderclaw-gateway\.service · installed · /);
  });

  it("coderclaw --dev status talks to the dev profile's gateway", async () => {
    const home = homes.empty();
    // --dev fills only unset variables, so a free port can stand in for 19001.
    const port = await freePort();
    home.env.CODERCLAW_GATEWAY_PORT = String(port);
    gateways.push(await startGateway(home.env, ["--dev", "gateway"]));
    const devConfig = path.join(home.home, ".coderclaw-dev", "coderclaw.json");
    expect(fs.existsSync(devConfig)).toBe(true);
    const { code, stdout } = await runCli(["--dev", "status"], home.env, CLI_TIMEOUT_MS);
    expect(code).toBe(0);
    expect(row(stdout, "Gateway")).toContain(`ws://127.0.0.1:${port} (local loopback) · reachable`);
    expect(row(stdout, "Gateway service")).toBe("coderclaw-gateway-dev.service not installed");
    expect(row(stdout, "Agents")).toBe("1 · dev (default)");
    expect(stdout).toContain("Service details: coderclaw --dev gateway status");
  });
});
