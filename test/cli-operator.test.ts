import path from "node:path";
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

/** Nothing listens on port 1 of the loopback interface: connects are refused at once. */
const DEAD_PORT = "1";

describe("operator CLI against a running gateway: health, gateway call/health/probe, channels status", () => {
  let home: TempHome;
  let gateway: GatewayProcess;
  let env: NodeJS.ProcessEnv;
  let deadEnv: NodeJS.ProcessEnv;
  const cli = (...args: string[]) => runCli(args, env);

  beforeAll(async () => {
    home = makeTempHome();
    home.writeConfig(localConfig());
    gateway = await startGateway(home.env);
    env = { ...home.env, CODERCLAW_GATEWAY_PORT: String(gateway.port) };
    deadEnv = { ...home.env, CODERCLAW_GATEWAY_PORT: DEAD_PORT };
  });
  afterAll(async () => {
    await gateway?.stop();
    await killAll();
    home.cleanup();
  });

  describe("coderclaw health", () => {
    it("prints channels, agents, heartbeat and the session store", async () => {
      const result = await cli("health");
      expect(result.code).toBe(0);
      const lines = result.stdout.trimEnd().split("\n");
      expect(lines.slice(0, 3)).toEqual([
        "Channels: none configured",
        "Agents: main (default)",
        "Heartbeat interval: disabled",
      ]);
      expect(lines[3]).toMatch(
        new RegExp(`^Session store \\(main\\): ${path.join(home.stateDir, "state.db")} \\(\\d+ entries\\)$`),
      );
    });

    it("--verbose refreshes the summary, which then lists recent sessions with their age", async () => {
      const run = await cli(
        "gateway",
        "call",
        "agent",
        "--params",
        '{"message":"hello","idempotencyKey":"health-session"}',
        "--expect-final",
      );
      expect(run.code).toBe(0);
      const result = await cli("health", "--verbose");
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Session store \(main\): .+ \([1-9]\d* entries\)$/m);
      expect(result.stdout).toMatch(/^- agent:main:main \(\d+[smhd] ago\)$/m);
    });

    it("--json prints the HealthSummary", async () => {
      const result = await cli("health", "--json");
      expect(result.code).toBe(0);
      const summary = JSON.parse(result.stdout);
      expect(summary).toMatchObject({
        ok: true,
        channels: {},
        channelOrder: [],
        channelLabels: {},
        heartbeatSeconds: 0,
        defaultAgentId: "main",
        sessions: { path: path.join(home.stateDir, "state.db") },
      });
      expect(typeof summary.ts).toBe("number");
      expect(typeof summary.durationMs).toBe("number");
      expect(summary.agents).toEqual([expect.objectContaining({ agentId: "main", isDefault: true })]);
    });

    it("exits 1 at once saying nothing listens, what to run, and the target when no gateway listens", async () => {
      const result = await runCli(["health"], deadEnv);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).toContain(
        [
          `nothing is listening on ws://127.0.0.1:${DEAD_PORT}`,
          "Start a gateway with: coderclaw gateway",
          "Find where one runs with: coderclaw gateway status",
        ].join("\n"),
      );
      expect(result.stderr).not.toContain("1006");
      expect(result.stderr).toContain(`Gateway target: ws://127.0.0.1:${DEAD_PORT}`);
      expect(result.stderr).toContain(`Config: ${home.configPath}`);
    });

    it("fails fast: an unreachable gateway costs well under a second beyond the CLI's start-up", async () => {
      // The budget is 1500 ms, or start-up + 1000 ms where merely starting the CLI takes longer
      // (a loaded machine); the best of three tries keeps one scheduling spike from deciding.
      const timed = async (args: string[]) => {
        const started = Date.now();
        const result = await runCli(args, deadEnv);
        expect(result.code).toBe(1);
        return Date.now() - started;
      };
      const tries: Array<{ elapsed: number; budget: number }> = [];
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const startup = await timed(["health", "--timeout=invalid"]);
        const elapsed = await timed(["health"]);
        const budget = Math.max(1_500, startup + 1_000);
        tries.push({ elapsed, budget });
        if (elapsed < budget) break;
      }
      expect(tries.some(({ elapsed, budget }) => elapsed < budget)).toBe(true);
    });

    it("rejects a --timeout that is not a positive integer", async () => {
      const results = await Promise.all(
        ["0", "-5", "abc", "1.5"].map((value) => cli("health", `--timeout=${value}`)),
      );
      for (const result of results) {
        expect(result.code).toBe(1);
        expect(result.stderr.trim()).toBe("--timeout must be a positive integer (milliseconds)");
      }
    });
  });

  describe("coderclaw gateway health", () => {
    it("prints Gateway Health, OK with the duration, then the health lines", async () => {
      const result = await cli("gateway", "health");
      expect(result.code).toBe(0);
      const lines = result.stdout.trimEnd().split("\n");
      expect(lines[0]).toBe("Gateway Health");
      expect(lines[1]).toMatch(/^OK \(\d+ms\)$/);
      expect(lines.slice(2, 5)).toEqual([
        "Channels: none configured",
        "Agents: main (default)",
        "Heartbeat interval: disabled",
      ]);
    });

    it("--json prints the HealthSummary", async () => {
      const result = await cli("gateway", "health", "--json");
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, defaultAgentId: "main" });
    });
  });

  describe("coderclaw gateway call", () => {
    it("prints `Gateway call: <method>` then the answer as pretty JSON", async () => {
      const result = await cli("gateway", "call", "health");
      expect(result.code).toBe(0);
      const [first, ...rest] = result.stdout.split("\n");
      expect(first).toBe("Gateway call: health");
      expect(JSON.parse(rest.join("\n"))).toMatchObject({ ok: true, channelOrder: [] });
      expect(rest[0]).toBe("{");
    });

    it("--json prints only the JSON answer", async () => {
      const result = await cli("gateway", "call", "status", "--json");
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout).gateway).toMatchObject({ state: "ready", port: gateway.port });
    });

    it("passes --params to the method", async () => {
      const result = await cli("gateway", "call", "channels.status", "--params", '{"probe":true}', "--json");
      expect(result.code).toBe(0);
      // Every channel the gateway knows is listed; none has an account in this config.
      expect(JSON.parse(result.stdout)).toMatchObject({
        channelOrder: ["telegram", "irc"],
        channelAccounts: { telegram: [], irc: [] },
      });
    });

    it("answers agent with the accepted ack, and with --expect-final with the final ok", async () => {
      const params = '{"message":"hi","idempotencyKey":"k1"}';
      const ack = await cli("gateway", "call", "agent", "--params", params, "--json");
      expect(ack.code).toBe(0);
      expect(JSON.parse(ack.stdout)).toMatchObject({ runId: "k1", status: "accepted" });
      const final = await cli("gateway", "call", "agent", "--params", params, "--expect-final", "--json");
      expect(final.code).toBe(0);
      expect(JSON.parse(final.stdout)).toMatchObject({
        runId: "k1",
        status: "ok",
        result: { payloads: [{ text: "hi" }] },
      });
    });

    it("reports a failed call as `Gateway call failed: <err>` and exits 1", async () => {
      const unknown = await cli("gateway", "call", "no.such.method");
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain("Gateway call failed: unknown method: no.such.method");
      const down = await runCli(["gateway", "call", "health"], deadEnv);
      expect(down.code).toBe(1);
      expect(down.stderr).toContain(
        `Gateway call failed: nothing is listening on ws://127.0.0.1:${DEAD_PORT}`,
      );
    });

    it("refuses --params that are not JSON", async () => {
      const result = await cli("gateway", "call", "health", "--params", "{probe:");
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^Gateway call failed: --params must be valid JSON \(.+\)$/m);
    });

    it("refuses --url without explicit credentials, naming the fix and the config, in every command that takes --url", async () => {
      const commands = [
        ["gateway", "call", "health"],
        ["health"],
        ["gateway", "status"],
        ["gateway", "probe"],
        ["gateway", "health"],
        ["logs"],
        ["agent", "--message", "hi"],
        ["chat"],
      ];
      for (const command of commands) {
        const result = await cli(...command, "--url", gateway.url);
        expect({ command, code: result.code }).toEqual({ command, code: 1 });
        expect({ command, stderr: result.stderr.trimEnd().split("\n") }).toEqual({
          command,
          stderr: [
            "gateway url override requires explicit credentials",
            "Fix: pass --token or --password.",
            `Config: ${home.configPath}`,
          ],
        });
      }
      const explicit = await cli("gateway", "call", "health", "--url", gateway.url, "--token", TEST_TOKEN);
      expect(explicit.code).toBe(0);
    }, 120_000);
  });

  describe("coderclaw gateway probe", () => {
    it("reports a reachable gateway with its state, version, pid and connections", async () => {
      const result = await cli("gateway", "probe");
      expect(result.code).toBe(0);
      const lines = result.stdout.trimEnd().split("\n");
      expect(lines[0]).toBe(`Gateway probe: ws://127.0.0.1:${gateway.port}`);
      expect(lines[1]).toMatch(/^Reachable: yes \(\d+ms\)$/);
      expect(lines).toEqual(
        expect.arrayContaining([
          "State: ready",
          `PID: ${gateway.child.pid}`,
          expect.stringMatching(/^Version: \S+$/),
          expect.stringMatching(/^Uptime: \d+[smhd]$/),
          expect.stringMatching(/^Connections: \d+$/),
          expect.stringMatching(/^Presence: \d+ entries$/),
        ]),
      );
    });

    it("--json gives {ok, url, connectLatencyMs, error, close, health, status, presence, configSnapshot}", async () => {
      const result = await cli("gateway", "probe", "--json");
      expect(result.code).toBe(0);
      const probe = JSON.parse(result.stdout);
      expect(Object.keys(probe).sort()).toEqual(
        [
          "close",
          "configSnapshot",
          "connectLatencyMs",
          "error",
          "health",
          "ok",
          "presence",
          "status",
          "url",
        ].sort(),
      );
      expect(probe).toMatchObject({
        ok: true,
        url: `ws://127.0.0.1:${gateway.port}`,
        error: null,
        close: null,
        health: { ok: true },
        status: { gateway: { state: "ready" } },
        configSnapshot: { path: home.configPath, valid: true },
      });
      expect(probe.connectLatencyMs).toEqual(expect.any(Number));
      expect(Array.isArray(probe.presence)).toBe(true);
      expect(result.stdout).not.toContain(TEST_TOKEN);
    });

    it("reports an unreachable gateway and exits 1, in text and in JSON", async () => {
      const text = await runCli(["gateway", "probe"], deadEnv);
      expect(text.code).toBe(1);
      expect(text.stdout.trimEnd().split("\n")).toEqual([
        `Gateway probe: ws://127.0.0.1:${DEAD_PORT}`,
        `Reachable: no (connect failed: nothing is listening on ws://127.0.0.1:${DEAD_PORT})`,
      ]);
      const json = await runCli(["gateway", "probe", "--json"], deadEnv);
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stdout)).toEqual({
        ok: false,
        url: `ws://127.0.0.1:${DEAD_PORT}`,
        connectLatencyMs: null,
        error: `connect failed: nothing is listening on ws://127.0.0.1:${DEAD_PORT}`,
        close: null,
        health: null,
        status: null,
        presence: null,
        configSnapshot: null,
      });
    });

    it("reports a rejected connect as unreachable with the gateway's reason", async () => {
      const result = await cli("gateway", "probe", "--url", gateway.url, "--token", "wrong-token");
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(
        /^Reachable: no \(connect failed: gateway token mismatch: this command sent the token from cli --token; the gateway uses config gateway\.auth\.token\)$/m,
      );
    });
  });

  describe("coderclaw channels status", () => {
    it("says the gateway is reachable, that no channels are configured, and gives a tip", async () => {
      const result = await cli("channels", "status");
      expect(result.code).toBe(0);
      const lines = result.stdout.trimEnd().split("\n");
      expect(lines.slice(0, 2)).toEqual(["Gateway reachable.", "No channels configured."]);
      expect(lines[2]).toMatch(/^Tip: /);
    });

    it("--probe --json prints the channels.status payload", async () => {
      const result = await cli("channels", "status", "--probe", "--json");
      expect(result.code).toBe(0);
      const status = JSON.parse(result.stdout);
      expect(status).toMatchObject({
        ts: expect.any(Number),
        channelOrder: ["telegram", "irc"],
        channelLabels: { telegram: "Telegram", irc: "IRC" },
        channelAccounts: { telegram: [], irc: [] },
        channelDefaultAccountId: { telegram: "default", irc: "default" },
      });
    });

    it("falls back to config-only status and exits 0 when the gateway is down", async () => {
      const result = await runCli(["channels", "status", "--probe"], deadEnv);
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(
        /^Gateway not reachable: nothing is listening on ws:\/\/127\.0\.0\.1:1$/m,
      );
      expect(result.stdout.trimEnd().split("\n")).toEqual([
        "Gateway not reachable; showing config-only status.",
        `Config: ${home.configPath}`,
        "Mode: local",
        "No channels configured.",
      ]);
    });

    it("--json falls back to a config-only JSON status when the gateway is down", async () => {
      const result = await runCli(["channels", "status", "--json"], deadEnv);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({
        gatewayReachable: false,
        configPath: home.configPath,
        mode: "local",
        accounts: [],
        error: "nothing is listening on ws://127.0.0.1:1",
      });
    });
  });
});
