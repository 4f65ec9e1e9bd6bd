import fs from "node:fs";
import path from "node:path";
import {
  killAll,
  localConfig,
  makeTempHome,
  runCli,
  startGateway,
  TEST_TOKEN,
  type TempHome,
} from "./helpers/gateway-process.js";

const readJson = (file: string) => JSON.parse(fs.readFileSync(file, "utf8"));

describe("coderclaw setup", () => {
  let home: TempHome;

  beforeEach(() => {
    home = makeTempHome();
  });
  afterEach(async () => {
    await killAll();
    home.cleanup();
  });

  it("writes a fresh config with local mode, a generated token and the workspace, and creates the dirs", async () => {
    const result = await runCli(["setup"], home.env);
    expect(result.code).toBe(0);
    const workspace = path.join(home.home, ".coderclaw", "workspace");
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines).toEqual(
      expect.arrayContaining([
        `Wrote ${home.configPath}`,
        "  gateway.mode: local",
        "  gateway.auth.token: generated (48 hex characters)",
        `  agents.defaults.workspace: ${workspace}`,
        `Workspace OK: ${workspace}`,
        `State OK: ${home.stateDir}`,
      ]),
    );
    const config = readJson(home.configPath);
    expect(config.gateway.mode).toBe("local");
    expect(config.gateway.auth.token).toMatch(/^[0-9a-f]{48}$/);
    expect(config.agents.defaults.workspace).toBe(workspace);
    expect(result.stdout).not.toContain(config.gateway.auth.token);
    expect(fs.statSync(workspace).isDirectory()).toBe(true);
    expect(fs.statSync(home.stateDir).isDirectory()).toBe(true);
    expect(fs.statSync(home.configPath).mode & 0o777).toBe(0o600);
  });

  it("changes nothing on a second run and says `Config OK: <path>`", async () => {
    expect((await runCli(["setup"], home.env)).code).toBe(0);
    const before = fs.readFileSync(home.configPath, "utf8");
    const again = await runCli(["setup"], home.env);
    expect(again.code).toBe(0);
    expect(again.stdout.split("\n")[0]).toBe(`Config OK: ${home.configPath}`);
    expect(again.stdout).not.toMatch(/^ {2}\S+: /m);
    expect(fs.readFileSync(home.configPath, "utf8")).toBe(before);
    expect(fs.existsSync(`${home.configPath}.bak`)).toBe(false);
  });

  it("merges into an existing config: keeps its keys and secret, backs the old file up", async () => {
    home.writeConfig({ gateway: { port: 19555, auth: { password: "pw-secret" } } });
    const original = fs.readFileSync(home.configPath, "utf8");
    const workspace = path.join(home.home, "my-workspace");
    const result = await runCli(["setup", "--workspace", workspace], home.env);
    expect(result.code).toBe(0);
    expect(result.stdout.split("\n")[0]).toBe(
      `Updated ${home.configPath} (set gateway.mode, agents.defaults.workspace)`,
    );
    expect(readJson(home.configPath)).toEqual({
      gateway: { port: 19555, mode: "local", auth: { password: "pw-secret" } },
      agents: { defaults: { workspace } },
    });
    expect(fs.readFileSync(`${home.configPath}.bak`, "utf8")).toBe(original);
    expect(fs.statSync(workspace).isDirectory()).toBe(true);
    expect(result.stdout).toContain("Gateway port: 19555 (config gateway.port)");
  });

  it("leaves an invalid config untouched, lists its problems and points at doctor", async () => {
    fs.mkdirSync(home.stateDir, { recursive: true });
    const invalid = '{ gateway: { port: "not-a-port", bogus: true } }\n';
    fs.writeFileSync(home.configPath, invalid);
    const result = await runCli(["setup"], home.env);
    expect(result.code).toBe(1);
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines[0]).toBe("Config invalid");
    expect(lines[1]).toBe(`File: ${home.configPath}`);
    expect(lines[2]).toBe("Problem:");
    expect(lines).toEqual(
      expect.arrayContaining([
        "  - gateway.bogus: unknown key",
        expect.stringMatching(/^ {2}- gateway\.port: /),
      ]),
    );
    expect(lines[lines.length - 1]).toBe("Run: coderclaw doctor --fix");
    expect(fs.readFileSync(home.configPath, "utf8")).toBe(invalid);
    expect(fs.existsSync(`${home.configPath}.bak`)).toBe(false);
  });

  it("`--dev setup` uses ~/.coderclaw-dev, port 19001 and ~/.coderclaw/workspace-dev; `--dev gateway` then starts on that config", async () => {
    const devState = path.join(home.home, ".coderclaw-dev");
    const devConfig = path.join(devState, "coderclaw.json");
    const workspace = path.join(home.home, ".coderclaw", "workspace-dev");
    const result = await runCli(["--dev", "setup"], home.env);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Wrote ${devConfig}`);
    expect(result.stdout).toContain(`Workspace OK: ${workspace}`);
    expect(result.stdout).toContain(`State OK: ${devState}`);
    expect(result.stdout).toContain("Gateway port: 19001 (dev profile)");
    expect(result.stdout).toContain("Next: coderclaw --dev gateway");
    const config = readJson(devConfig);
    expect(config).toEqual({
      gateway: { mode: "local", auth: { token: expect.stringMatching(/^[0-9a-f]{48}$/) } },
      agents: { defaults: { workspace } },
    });
    expect(fs.existsSync(home.configPath)).toBe(false);

    const gateway = await startGateway(home.env, ["--dev", "gateway", "--port", "0"]);
    try {
      const { stdout } = gateway.output();
      expect(stdout).not.toContain("Dev config ready");
      expect(stdout).toContain(`auth: token in ${devConfig} (gateway.auth.token)`);
      const health = await runCli(["--dev", "health", "--json"], {
        ...home.env,
        CODERCLAW_GATEWAY_PORT: String(gateway.port),
      });
      expect(health.code).toBe(0);
      expect(JSON.parse(health.stdout).sessions.path).toBe(path.join(devState, "state.db"));
    } finally {
      await gateway.stop();
    }
    expect(readJson(devConfig)).toEqual(config);
  });
});

describe("coderclaw config get / set", () => {
  let home: TempHome;
  const cli = (...args: string[]) => runCli(args, home.env);

  beforeEach(() => {
    home = makeTempHome();
    home.writeConfig(localConfig({ remote: { password: "remote-secret" } }));
  });
  afterEach(async () => {
    await killAll();
    home.cleanup();
  });

  it("set then get round-trips numbers, plain strings and JSON5 values through the file", async () => {
    const port = await cli("config", "set", "gateway.port", "19123");
    expect(port.code).toBe(0);
    expect(port.stdout.trim()).toBe(
      "Updated gateway.port. Restart the gateway to apply (or it reloads automatically if gateway.reload.mode allows).",
    );
    expect(readJson(home.configPath).gateway.port).toBe(19123);
    expect(readJson(`${home.configPath}.bak`).gateway.port).toBeUndefined();
    expect((await cli("config", "get", "gateway.port")).stdout.trim()).toBe("19123");

    expect((await cli("config", "set", "gateway.bind", "lan")).code).toBe(0);
    expect((await cli("config", "get", "gateway.bind")).stdout.trim()).toBe('"lan"');

    expect((await cli("config", "set", "gateway.controlUi.allowedOrigins", "['http://a.test']")).code).toBe(
      0,
    );
    const origins = await cli("config", "get", "gateway.controlUi.allowedOrigins", "--json");
    expect(JSON.parse(origins.stdout)).toEqual(["http://a.test"]);
    expect(readJson(home.configPath).gateway.mode).toBe("local");
  });

  it("get reads schema defaults for keys the file does not set", async () => {
    const result = await cli("config", "get", "gateway.reload", "--json");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ mode: "hybrid", debounceMs: 300 });
  });

  it("refuses an invalid result, listing every problem, and leaves the file untouched", async () => {
    const before = fs.readFileSync(home.configPath, "utf8");
    const result = await cli("config", "set", "gateway.reload", '{mode: "bogus", debounceMs: -1, extra: 1}');
    expect(result.code).toBe(1);
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines[0]).toBe(
      `Refusing to set gateway.reload: the config would be invalid (${home.configPath} unchanged).`,
    );
    expect(lines).toEqual(
      expect.arrayContaining([
        "  - gateway.reload.extra: unknown key",
        expect.stringMatching(/^ {2}- gateway\.reload\.mode: /),
        expect.stringMatching(/^ {2}- gateway\.reload\.debounceMs: /),
      ]),
    );
    const unknown = await cli("config", "set", "gateway.nope", "1");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("  - gateway.nope: unknown key");
    expect(fs.readFileSync(home.configPath, "utf8")).toBe(before);
    expect(fs.existsSync(`${home.configPath}.bak`)).toBe(false);
  });

  it("redacts secrets unless --show-secrets", async () => {
    const token = await cli("config", "get", "gateway.auth.token");
    expect(token.code).toBe(0);
    expect(JSON.parse(token.stdout)).toBe("__CODERCLAW_REDACTED__");
    const whole = await cli("config", "get", "gateway", "--json");
    expect(JSON.parse(whole.stdout)).toMatchObject({
      auth: { token: "__CODERCLAW_REDACTED__" },
      remote: { password: "__CODERCLAW_REDACTED__" },
    });
    expect(whole.stdout).not.toContain(TEST_TOKEN);
    expect(whole.stdout).not.toContain("remote-secret");
    const shown = await cli("config", "get", "gateway.auth.token", "--show-secrets");
    expect(JSON.parse(shown.stdout)).toBe(TEST_TOKEN);
  });

  it("says `Config path not found: <path>` and exits 1 for an unknown key", async () => {
    const result = await cli("config", "get", "gateway.nope");
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe("Config path not found: gateway.nope");
  });
});
