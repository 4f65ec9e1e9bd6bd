import { createHash } from "node:crypto";
import fs from "node:fs";
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
import {
  canBind,
  closeServer,
  freePort,
  holdPort,
  killSpawned,
  pidGone,
  spawnCli,
  spawnPortHolder,
} from "./helpers/start-tools.js";
import { WsPeer } from "./helpers/ws-peer.js";

const homes: TempHome[] = [];
const gateways: GatewayProcess[] = [];
const peers: WsPeer[] = [];
/** Lock files of config paths outside a temp home's default one, removed after each test. */
const extraLocks: string[] = [];

function newHome(config?: Record<string, unknown>): TempHome {
  const home = makeTempHome();
  homes.push(home);
  if (config) home.writeConfig(config);
  return home;
}

async function start(
  env: NodeJS.ProcessEnv,
  args: string[] = ["gateway", "--port", "0"],
): Promise<GatewayProcess> {
  const gateway = await startGateway(env, args);
  gateways.push(gateway);
  return gateway;
}

/** Opens a socket and completes the handshake with `auth`; resolves with the peer and the connect response. */
async function hello(url: string, auth: Record<string, unknown>) {
  const peer = await WsPeer.open(url);
  peers.push(peer);
  const res = await peer.connect({ auth });
  return { peer, res };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed JSON, asserted field by field
function readJson(file: string): any {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

/** Where a child with our test environment (no TMPDIR) keeps the single-instance lock for `configPath`. */
function lockPathFor(configPath: string, env: NodeJS.ProcessEnv): string {
  const hash = createHash("sha1").update(configPath).digest("hex").slice(0, 8);
  return path.join(env.TMPDIR ?? "/tmp", `coderclaw-${process.getuid?.() ?? "user"}`, `gateway.${hash}.lock`);
}

function listeningPort(stdout: string): number | undefined {
  const match = /listening on ws:\/\/127\.0\.0\.1:(\d+) \(PID \d+\)/.exec(stdout);
  return match ? Number(match[1]) : undefined;
}

afterEach(async () => {
  peers.splice(0).forEach((peer) => peer.close());
  await Promise.all(gateways.splice(0).map((gateway) => gateway.stop()));
  await killAll();
  await killSpawned();
  extraLocks.splice(0).forEach((lock) => fs.rmSync(lock, { force: true }));
  for (const home of homes.splice(0)) {
    fs.rmSync(lockPathFor(home.configPath, home.env), { force: true });
    home.cleanup();
  }
});

describe("coderclaw gateway: mode gate (REFERENCE §1.3 step 7)", () => {
  it("refuses to start without a config file and says how to create one", async () => {
    const home = newHome();
    const result = await runCli(["gateway", "--port", "0"], home.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "Missing config. Run `coderclaw setup` or set gateway.mode=local (or pass --allow-unconfigured).",
    );
    expect(fs.existsSync(home.configPath)).toBe(false);
  });

  it("refuses to start when the config does not set gateway.mode (current: unset)", async () => {
    const home = newHome({});
    const result = await runCli(["gateway", "--port", "0"], home.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "Gateway start blocked: set gateway.mode=local (current: unset) or pass --allow-unconfigured.",
    );
    // Nothing has written this config through coderclaw: there is no audit file to name.
    expect(result.stderr.split("\n")).toContain(
      "Config write audit: none yet (no command has written this config)",
    );
    expect(fs.existsSync(path.join(home.stateDir, "logs", "config-audit.jsonl"))).toBe(false);
  });

  it("names the config write audit file once a command has written the config", async () => {
    const home = newHome({ gateway: { auth: { token: TEST_TOKEN } } });
    const set = await runCli(["config", "set", "gateway.mode", "remote"], home.env);
    expect(set.code).toBe(0);
    const result = await runCli(["gateway", "--port", "0"], home.env);
    expect(result.code).toBe(1);
    const auditLog = path.join(home.stateDir, "logs", "config-audit.jsonl");
    expect(result.stderr.split("\n")).toContain(`Config write audit: ${auditLog}`);
    expect(fs.readFileSync(auditLog, "utf8")).toContain(home.configPath);
  });

  it("refuses to start when gateway.mode is remote (current: remote)", async () => {
    const home = newHome({ gateway: { mode: "remote", auth: { token: TEST_TOKEN } } });
    const result = await runCli(["gateway", "--port", "0"], home.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "Gateway start blocked: set gateway.mode=local (current: remote) or pass --allow-unconfigured.",
    );
  });

  it("starts with --allow-unconfigured even without a config file", async () => {
    const home = newHome();
    const gateway = await start(home.env, ["gateway", "--port", "0", "--allow-unconfigured"]);
    const token = readJson(home.configPath).gateway.auth.token as string;
    expect((await hello(gateway.url, { token })).res.ok).toBe(true);
  });

  it("starts with --allow-unconfigured when gateway.mode is remote", async () => {
    const home = newHome({ gateway: { mode: "remote", auth: { token: TEST_TOKEN } } });
    const gateway = await start(home.env, ["gateway", "--port", "0", "--allow-unconfigured"]);
    expect((await hello(gateway.url, { token: TEST_TOKEN })).res.ok).toBe(true);
  });
});

describe("coderclaw gateway: invalid config (REFERENCE §1.1 config guard)", () => {
  it("lists every unknown key with its path, points at doctor --fix, exits 1 and leaves the file alone", async () => {
    const home = newHome({ gateway: { mode: "local", auth: { token: TEST_TOKEN }, bogus: 1 }, nope: true });
    const before = fs.readFileSync(home.configPath);
    const result = await runCli(["gateway", "--port", "0"], home.env);
    expect(result.code).toBe(1);
    const lines = result.stderr.split("\n");
    expect(lines).toContain("Config invalid");
    expect(lines).toContain(`File: ${home.configPath}`);
    expect(result.stderr).toMatch(/^\s*- gateway\.bogus: unknown key$/m);
    expect(result.stderr).toMatch(/^\s*- nope: unknown key$/m);
    expect(lines).toContain("Run: coderclaw doctor --fix");
    expect(fs.readFileSync(home.configPath)).toEqual(before);
  });

  it("lists every bad value with its path, exits 1 and leaves the file alone", async () => {
    const home = newHome({
      gateway: { mode: "local", auth: { token: TEST_TOKEN }, port: "x", bind: "weird" },
    });
    const before = fs.readFileSync(home.configPath);
    const result = await runCli(["gateway", "--port", "0"], home.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Config invalid");
    expect(result.stderr).toContain(`File: ${home.configPath}`);
    expect(result.stderr).toMatch(/^\s*- gateway\.port: .+$/m);
    expect(result.stderr).toMatch(/^\s*- gateway\.bind: .+$/m);
    expect(result.stderr).toContain("Run: coderclaw doctor --fix");
    expect(fs.readFileSync(home.configPath)).toEqual(before);
  });

  it("lists unknown keys and bad values together when a file has both", async () => {
    const home = newHome({ gateway: { mode: "local", auth: { token: TEST_TOKEN }, bogus: 1, port: "x" } });
    const result = await runCli(["gateway", "--port", "0"], home.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^\s*- gateway\.bogus: unknown key$/m);
    expect(result.stderr).toMatch(/^\s*- gateway\.port: .+$/m);
  });
});

describe("coderclaw gateway: port (--port → CODERCLAW_GATEWAY_PORT → gateway.port → 18789)", () => {
  it("--port 0 listens on a free port and prints it with the pid", async () => {
    const home = newHome(localConfig());
    const gateway = await start(home.env);
    expect(gateway.port).toBeGreaterThan(0);
    expect(gateway.output().stdout).toContain(
      `listening on ws://127.0.0.1:${gateway.port} (PID ${gateway.child.pid})`,
    );
  });

  it("--port beats CODERCLAW_GATEWAY_PORT and gateway.port", async () => {
    const [flagPort, envPort, configPort] = [await freePort(), await freePort(), await freePort()];
    const home = newHome(localConfig({ port: configPort }));
    const env = { ...home.env, CODERCLAW_GATEWAY_PORT: String(envPort) };
    const gateway = await start(env, ["gateway", "--port", String(flagPort)]);
    expect(listeningPort(gateway.output().stdout)).toBe(flagPort);
  });

  it("CODERCLAW_GATEWAY_PORT beats gateway.port", async () => {
    const [envPort, configPort] = [await freePort(), await freePort()];
    const home = newHome(localConfig({ port: configPort }));
    const gateway = await start({ ...home.env, CODERCLAW_GATEWAY_PORT: String(envPort) }, ["gateway"]);
    expect(listeningPort(gateway.output().stdout)).toBe(envPort);
  });

  it("gateway.port is used when neither --port nor CODERCLAW_GATEWAY_PORT is given", async () => {
    const configPort = await freePort();
    const home = newHome(localConfig({ port: configPort }));
    const gateway = await start(home.env, ["gateway"]);
    expect(listeningPort(gateway.output().stdout)).toBe(configPort);
  });

  it("ignores an invalid CODERCLAW_GATEWAY_PORT and falls back to gateway.port", async () => {
    const configPort = await freePort();
    const home = newHome(localConfig({ port: configPort }));
    const gateway = await start({ ...home.env, CODERCLAW_GATEWAY_PORT: "not-a-port" }, ["gateway"]);
    expect(listeningPort(gateway.output().stdout)).toBe(configPort);
  });

  it("falls back to 18789 when nothing sets the port (seen in the bind refusal, without binding)", async () => {
    const home = newHome({ gateway: { mode: "local" } });
    const result = await runCli(["gateway", "--bind", "lan"], home.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^refusing to bind gateway to 0\.0\.0\.0:18789 without auth/m);
  });

  it("rejects --port abc with 'Invalid port' and exit 1", async () => {
    const home = newHome(localConfig());
    const result = await runCli(["gateway", "--port", "abc"], home.env);
    expect(result.code).toBe(1);
    expect(result.stderr.split("\n")).toContain("Invalid port");
  });

  describe("dev profile", () => {
    it("uses 19001 when CODERCLAW_GATEWAY_PORT is unset, even over gateway.port (seen in the bind refusal)", async () => {
      const home = newHome();
      const devConfig = path.join(home.home, ".coderclaw-dev", "coderclaw.json");
      fs.mkdirSync(path.dirname(devConfig), { recursive: true });
      fs.writeFileSync(devConfig, JSON.stringify({ gateway: { mode: "local", port: await freePort() } }));
      const result = await runCli(["--dev", "gateway", "--bind", "lan"], home.env);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^refusing to bind gateway to 0\.0\.0\.0:19001 without auth/m);
    });

    it("keeps an explicit CODERCLAW_GATEWAY_PORT instead of 19001", async () => {
      const home = newHome();
      const envPort = await freePort();
      const result = await runCli(["--dev", "gateway", "--bind", "lan"], {
        ...home.env,
        CODERCLAW_GATEWAY_PORT: String(envPort),
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        new RegExp(`^refusing to bind gateway to 0\\.0\\.0\\.0:${envPort} without auth`, "m"),
      );
    });

    it("tries to listen on 127.0.0.1:19001 (observed by holding 19001 for this test)", async () => {
      const held = await holdPort(19001);
      if (!held) {
        console.warn(
          "skipping the 19001 assertion: port 19001 is already in use by another process on this machine",
        );
        return;
      }
      try {
        const home = newHome();
        extraLocks.push(lockPathFor(path.join(home.home, ".coderclaw-dev", "coderclaw.json"), home.env));
        const result = await runCli(["--dev", "gateway"], home.env);
        expect(result.code).toBe(1);
        expect(result.stderr).toContain(
          "another gateway instance is already listening on ws://127.0.0.1:19001",
        );
      } finally {
        await closeServer(held);
      }
    });
  });
});

describe("coderclaw gateway: --bind and --auth", () => {
  it("rejects --bind bogus with the list of modes and exit 1", async () => {
    const home = newHome(localConfig());
    const result = await runCli(["gateway", "--port", "0", "--bind", "bogus"], home.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Invalid --bind (use "loopback", "lan", "tailnet", "auto", or "custom")');
  });

  it("refuses --bind lan without a token or password anywhere: exit 1, nothing listening, no token written", async () => {
    const home = newHome({ gateway: { mode: "local" } });
    const port = await freePort();
    const result = await runCli(["gateway", "--port", String(port), "--bind", "lan"], home.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(`^refusing to bind gateway to 0\\.0\\.0\\.0:${port} without auth`, "m"),
    );
    expect(result.stdout).not.toContain("listening on");
    expect(await canBind(port)).toBe(true);
    expect(readJson(home.configPath)).toEqual({ gateway: { mode: "local" } });
  });

  it("starts --bind lan with a token, listening on 0.0.0.0 (reachable via 127.0.0.1)", async () => {
    const home = newHome(localConfig());
    const gateway = spawnCli(["gateway", "--port", "0", "--bind", "lan"], home.env);
    const match = await gateway.waitFor(/listening on ws:\/\/0\.0\.0\.0:(\d+) \(PID \d+\)/);
    await gateway.waitFor(/gateway ready/);
    const { res } = await hello(`ws://127.0.0.1:${match[1]}`, { token: TEST_TOKEN });
    expect(res.ok).toBe(true);
    gateway.child.kill("SIGTERM");
    expect(await gateway.exited).toEqual({ code: 0, signal: null });
  });

  it("rejects --auth bogus with exit 1", async () => {
    const home = newHome(localConfig());
    const result = await runCli(["gateway", "--port", "0", "--auth", "bogus"], home.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Invalid --auth (use "token" or "password")');
  });
});

describe("coderclaw gateway: auth is always on", () => {
  it("generates a 48-hex token on first start, stores it in the config and never prints or logs it", async () => {
    const home = newHome({ gateway: { mode: "local" } });
    const gateway = await start(home.env);
    const token = readJson(home.configPath).gateway?.auth?.token as string;
    expect(token).toMatch(/^[0-9a-f]{48}$/);
    expect(gateway.output().stdout).toContain(
      `auth: token generated and stored in ${home.configPath} (gateway.auth.token)`,
    );
    expect((await hello(gateway.url, { token })).res.ok).toBe(true);
    expect((await hello(gateway.url, { token: "wrong" })).res.error?.message).toMatch(/^unauthorized: /);

    expect(await gateway.stop()).toEqual({ code: 0, signal: null });
    const { stdout, stderr } = gateway.output();
    expect(stdout).not.toContain(token);
    expect(stderr).not.toContain(token);
    const logDir = path.join(home.stateDir, "logs");
    const gatewayLog = fs.readFileSync(path.join(logDir, "gateway.log"), "utf8");
    expect(gatewayLog).toContain("listening on ws://127.0.0.1");
    for (const file of fs.readdirSync(logDir)) {
      expect(fs.readFileSync(path.join(logDir, file), "utf8")).not.toContain(token);
    }
  });

  it("keeps the generated token across restarts (no new token on the second start)", async () => {
    const home = newHome({ gateway: { mode: "local" } });
    const first = await start(home.env);
    const token = readJson(home.configPath).gateway.auth.token as string;
    await first.stop();
    const second = await start(home.env);
    expect(second.output().stdout).not.toContain("token generated");
    expect(readJson(home.configPath).gateway.auth.token).toBe(token);
    expect((await hello(second.url, { token })).res.ok).toBe(true);
  });

  it("accepts the configured password and rejects a wrong one with 'gateway password mismatch'", async () => {
    const home = newHome({ gateway: { mode: "local", auth: { password: "correct horse" } } });
    const gateway = await start(home.env);
    const ok = await hello(gateway.url, { password: "correct horse" });
    expect(ok.res.ok).toBe(true);
    expect(ok.res.payload.snapshot.authMode).toBe("password");
    const bad = await hello(gateway.url, { password: "battery staple" });
    expect(bad.res.error).toEqual({
      code: "INVALID_REQUEST",
      message: "unauthorized: gateway password mismatch (provide gateway auth password)",
    });
    expect((await bad.peer.waitClose()).code).toBe(1008);
  });

  it("honours CODERCLAW_GATEWAY_TOKEN when the config has no token, and writes no token", async () => {
    const home = newHome({ gateway: { mode: "local" } });
    const before = fs.readFileSync(home.configPath);
    const gateway = await start({ ...home.env, CODERCLAW_GATEWAY_TOKEN: "env-token-123" });
    expect(gateway.output().stdout).not.toContain("token generated");
    expect((await hello(gateway.url, { token: "env-token-123" })).res.ok).toBe(true);
    expect(fs.readFileSync(home.configPath)).toEqual(before);
  });

  it("honours CODERCLAW_GATEWAY_PASSWORD when the config has no secret", async () => {
    const home = newHome({ gateway: { mode: "local" } });
    const gateway = await start({ ...home.env, CODERCLAW_GATEWAY_PASSWORD: "env-password" });
    expect((await hello(gateway.url, { password: "env-password" })).res.ok).toBe(true);
    expect(readJson(home.configPath)).toEqual({ gateway: { mode: "local" } });
  });

  it("prefers CODERCLAW_GATEWAY_TOKEN over the config token (the CLI's rule too), and says so", async () => {
    const home = newHome(localConfig());
    const gateway = await start({ ...home.env, CODERCLAW_GATEWAY_TOKEN: "env-token-123" });
    expect(gateway.output().stdout).toContain("auth: token from CODERCLAW_GATEWAY_TOKEN");
    expect((await hello(gateway.url, { token: "env-token-123" })).res.ok).toBe(true);
    expect((await hello(gateway.url, { token: TEST_TOKEN })).res.error?.message).toBe(
      "unauthorized: gateway token mismatch (provide gateway auth token)",
    );
  });
});

describe("coderclaw gateway: profiles and paths (REFERENCE §1.1–1.2)", () => {
  it("--dev before the command creates the dev config and workspace and runs from ~/.coderclaw-dev", async () => {
    const home = newHome();
    const devStateDir = path.join(home.home, ".coderclaw-dev");
    const devConfig = path.join(devStateDir, "coderclaw.json");
    extraLocks.push(lockPathFor(devConfig, home.env));
    const gateway = await start(home.env, ["--dev", "gateway", "--port", "0"]);
    const { stdout } = gateway.output();
    expect(stdout).toContain(`Dev config ready: ${devConfig}`);
    expect(stdout).toContain(`Dev workspace ready: ${path.join(home.home, ".coderclaw", "workspace-dev")}`);
    expect(fs.existsSync(path.join(home.home, ".coderclaw", "workspace-dev"))).toBe(true);
    const config = readJson(devConfig);
    expect(config.gateway.mode).toBe("local");
    expect(fs.existsSync(home.configPath)).toBe(false);
    const { res } = await hello(gateway.url, { token: config.gateway.auth.token });
    expect(res.ok).toBe(true);
    expect(res.payload.snapshot.stateDir).toBe(devStateDir);
    expect(res.payload.snapshot.configPath).toBe(devConfig);
  });

  it("--profile work before the command uses ~/.coderclaw-work", async () => {
    const home = newHome();
    const stateDir = path.join(home.home, ".coderclaw-work");
    fs.mkdirSync(stateDir, { recursive: true });
    fs.writeFileSync(path.join(stateDir, "coderclaw.json"), JSON.stringify(localConfig()));
    extraLocks.push(lockPathFor(path.join(stateDir, "coderclaw.json"), home.env));
    const gateway = await start(home.env, ["--profile", "work", "gateway", "--port", "0"]);
    const { res } = await hello(gateway.url, { token: TEST_TOKEN });
    expect(res.payload.snapshot.stateDir).toBe(stateDir);
    expect(res.payload.snapshot.configPath).toBe(path.join(stateDir, "coderclaw.json"));
  });

  it("--profile work after the command works the same", async () => {
    const home = newHome();
    const stateDir = path.join(home.home, ".coderclaw-work");
    fs.mkdirSync(stateDir, { recursive: true });
    fs.writeFileSync(path.join(stateDir, "coderclaw.json"), JSON.stringify(localConfig()));
    extraLocks.push(lockPathFor(path.join(stateDir, "coderclaw.json"), home.env));
    const gateway = await start(home.env, ["gateway", "--profile", "work", "--port", "0"]);
    const { res } = await hello(gateway.url, { token: TEST_TOKEN });
    expect(res.payload.snapshot.stateDir).toBe(stateDir);
  });

  it("rejects --dev together with --profile with exit 2", async () => {
    const home = newHome(localConfig());
    const result = await runCli(["--dev", "--profile", "x", "gateway"], home.env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("[coderclaw] Cannot combine --dev with --profile");
  });

  it("rejects an invalid profile name with exit 2, before or after the command", async () => {
    const home = newHome(localConfig());
    const before = await runCli(["--profile", "bad name!", "gateway"], home.env);
    expect(before.code).toBe(2);
    expect(before.stderr).toContain('[coderclaw] Invalid --profile (use letters, numbers, "_", "-" only)');
    const after = await runCli(["gateway", "--profile", "bad name!"], home.env);
    expect(after.code).toBe(2);
    expect(after.stderr).toContain('Invalid --profile (use letters, numbers, "_", "-" only)');
  });

  it("CODERCLAW_STATE_DIR and CODERCLAW_CONFIG_PATH override the default paths", async () => {
    const home = newHome();
    const stateDir = path.join(home.home, "custom-state");
    const configPath = path.join(home.home, "configs", "gw.json");
    fs.mkdirSync(path.dirname(configPath), { recursive: true });
    fs.writeFileSync(configPath, JSON.stringify(localConfig()));
    const env = { ...home.env, CODERCLAW_STATE_DIR: stateDir, CODERCLAW_CONFIG_PATH: configPath };
    extraLocks.push(lockPathFor(configPath, env));
    const gateway = await start(env);
    const { res } = await hello(gateway.url, { token: TEST_TOKEN });
    expect(res.payload.snapshot.stateDir).toBe(stateDir);
    expect(res.payload.snapshot.configPath).toBe(configPath);
    expect(gateway.output().stdout).toContain(`log file: ${path.join(stateDir, "logs", "gateway.log")}`);
    expect(fs.existsSync(home.stateDir)).toBe(false);
  });

  it("CODERCLAW_STATE_DIR and CODERCLAW_CONFIG_PATH also win over a --profile", async () => {
    const home = newHome();
    const stateDir = path.join(home.home, "pinned-state");
    const configPath = path.join(home.home, "pinned.json");
    fs.writeFileSync(configPath, JSON.stringify(localConfig()));
    const env = { ...home.env, CODERCLAW_STATE_DIR: stateDir, CODERCLAW_CONFIG_PATH: configPath };
    extraLocks.push(lockPathFor(configPath, env));
    const gateway = await start(env, ["--profile", "work", "gateway", "--port", "0"]);
    const { res } = await hello(gateway.url, { token: TEST_TOKEN });
    expect(res.payload.snapshot.stateDir).toBe(stateDir);
    expect(res.payload.snapshot.configPath).toBe(configPath);
    expect(fs.existsSync(path.join(home.home, ".coderclaw-work"))).toBe(false);
  });
});

describe("runbook: common failure signatures, word for word", () => {
  it("'refusing to bind gateway ... without auth' for a non-loopback bind without token/password", async () => {
    const home = newHome({ gateway: { mode: "local", bind: "lan" } });
    const result = await runCli(["gateway", "--port", "0"], home.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^refusing to bind gateway .* without auth/m);
  });

  it("'another gateway instance is already listening' when another process holds the port: exit 1, said once, port diagnostics naming it", async () => {
    const port = await freePort();
    const holder = await spawnPortHolder(port);
    const home = newHome(localConfig());
    const result = await runCli(["gateway", "--port", String(port)], home.env);
    expect(result.code).toBe(1);
    const failure = `Gateway failed to start: another gateway instance is already listening on ws://127.0.0.1:${port}`;
    expect(result.stderr.split("\n")).toContain(failure);
    // One line says it: no log-line echo of the same error before it.
    expect(result.stderr.split("already listening").length - 1).toBe(1);
    expect(result.stderr + result.stdout).not.toContain("gateway stopped");
    // The log file keeps the record for later.
    const logDir = path.join(home.stateDir, "logs");
    const logged = fs
      .readdirSync(logDir)
      .map((name) => fs.readFileSync(path.join(logDir, name), "utf8"))
      .join("");
    expect(logged).toContain(
      `"message":"gateway failed to start: another gateway instance is already listening on ws://127.0.0.1:${port}"`,
    );
    expect(logged).not.toContain("fileOnly");
    expect(result.stderr).toContain("If the gateway is supervised, stop it with: coderclaw gateway stop");
    expect(result.stderr.split("\n")).toContain(`Port ${port} is already in use.`);
    expect(result.stderr).toMatch(new RegExp(`^- pid ${holder.pid}\\b.*\\(127\\.0\\.0\\.1:${port}\\)$`, "m"));
    expect(result.stderr).toContain("- Another process is listening on this port.");
    expect(pidGone(holder.pid)).toBe(false);
  });

  it("'Gateway start blocked: set gateway.mode=local' when the config is in remote mode", async () => {
    const home = newHome({ gateway: { mode: "remote" } });
    const result = await runCli(["gateway", "--port", "0"], home.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Gateway start blocked: set gateway\.mode=local/m);
  });

  it("'unauthorized' during connect when the client's token does not match", async () => {
    const home = newHome(localConfig());
    const gateway = await start(home.env);
    const { peer, res } = await hello(gateway.url, { token: "not-the-token" });
    expect(res.error?.code).toBe("INVALID_REQUEST");
    expect(res.error?.message).toMatch(/^unauthorized/);
    const closed = await peer.waitClose();
    expect(closed.code).toBe(1008);
    expect(closed.reason).toMatch(/^unauthorized/);
  });
});

describe("coderclaw gateway: single-instance lock (REFERENCE §1.5)", () => {
  it("a second gateway with the same config path fails after the 5 s lock timeout, naming the first pid", async () => {
    const home = newHome(localConfig());
    const first = await start(home.env);
    const second = await runCli(["gateway", "--port", "0"], home.env, 15_000);
    expect(second.code).toBe(1);
    const lines = second.stderr.split("\n");
    expect(lines).toContain(
      `Gateway failed to start: gateway already running (pid ${first.child.pid}); lock timeout after 5000ms`,
    );
    expect(lines).toContain("If the gateway is supervised, stop it with: coderclaw gateway stop");
    expect(second.stdout).not.toContain("listening on");
    expect((await hello(first.url, { token: TEST_TOKEN })).res.ok).toBe(true);
  }, 20_000);

  it("gateways with different config paths and state dirs run side by side", async () => {
    const home = newHome();
    const instance = (name: string) => {
      const configPath = path.join(home.home, ".coderclaw", `${name}.json`);
      fs.mkdirSync(path.dirname(configPath), { recursive: true });
      fs.writeFileSync(configPath, JSON.stringify(localConfig()));
      const stateDir = path.join(home.home, `.coderclaw-${name}`);
      extraLocks.push(lockPathFor(configPath, home.env));
      return {
        configPath,
        stateDir,
        env: { ...home.env, CODERCLAW_CONFIG_PATH: configPath, CODERCLAW_STATE_DIR: stateDir },
      };
    };
    const a = instance("a");
    const b = instance("b");
    const [gatewayA, gatewayB] = await Promise.all([start(a.env), start(b.env)]);
    expect(gatewayA.port).not.toBe(gatewayB.port);
    const helloA = await hello(gatewayA.url, { token: TEST_TOKEN });
    const helloB = await hello(gatewayB.url, { token: TEST_TOKEN });
    expect(helloA.res.payload.snapshot).toMatchObject({ stateDir: a.stateDir, configPath: a.configPath });
    expect(helloB.res.payload.snapshot).toMatchObject({ stateDir: b.stateDir, configPath: b.configPath });
    await Promise.all([gatewayA.stop(), gatewayB.stop()]);
    expect(fs.existsSync(lockPathFor(a.configPath, a.env))).toBe(false);
    expect(fs.existsSync(lockPathFor(b.configPath, b.env))).toBe(false);
  });

  it("reclaims the stale lock left by a SIGKILLed gateway", async () => {
    const home = newHome(localConfig());
    const lockPath = lockPathFor(home.configPath, home.env);
    const first = await start(home.env);
    first.child.kill("SIGKILL");
    await first.exited;
    expect(readJson(lockPath).pid).toBe(first.child.pid);
    const startedAt = Date.now();
    const second = await start(home.env);
    expect(Date.now() - startedAt).toBeLessThan(5_000);
    expect(readJson(lockPath).pid).toBe(second.child.pid);
    expect((await hello(second.url, { token: TEST_TOKEN })).res.ok).toBe(true);
    await second.stop();
    expect(fs.existsSync(lockPath)).toBe(false);
  });
});

describe("coderclaw gateway --force (REFERENCE §1.4)", () => {
  it("kills a plain process listening on the port and starts there", async () => {
    const port = await freePort();
    const holder = await spawnPortHolder(port);
    const home = newHome(localConfig());
    const gateway = await start(home.env, ["gateway", "--port", String(port), "--force"]);
    expect(gateway.port).toBe(port);
    expect(gateway.output().stdout).toContain(`force: killed pid ${holder.pid}`);
    expect(await holder.exited).toEqual({ code: null, signal: "SIGTERM" });
    expect(pidGone(holder.pid)).toBe(true);
    expect((await hello(gateway.url, { token: TEST_TOKEN })).res.ok).toBe(true);
  });

  it("escalates to SIGKILL for a listener that ignores SIGTERM", async () => {
    const port = await freePort();
    const holder = await spawnPortHolder(port, { ignoreSigterm: true });
    const home = newHome(localConfig());
    const gateway = await start(home.env, ["gateway", "--port", String(port), "--force"]);
    expect(gateway.port).toBe(port);
    expect(gateway.output().stdout).toContain(`force: escalated to SIGKILL while freeing port ${port}`);
    expect(await holder.exited).toEqual({ code: null, signal: "SIGKILL" });
    expect(pidGone(holder.pid)).toBe(true);
  });
});

describe("coderclaw gateway: signals (REFERENCE §1.6)", () => {
  it("stops with exit 0 on SIGINT, like SIGTERM", async () => {
    const [homeInt, homeTerm] = [newHome(localConfig()), newHome(localConfig())];
    const [byInt, byTerm] = await Promise.all([start(homeInt.env), start(homeTerm.env)]);
    byInt.child.kill("SIGINT");
    byTerm.child.kill("SIGTERM");
    expect(await byInt.exited).toEqual({ code: 0, signal: null });
    expect(await byTerm.exited).toEqual({ code: 0, signal: null });
    expect(fs.existsSync(lockPathFor(homeInt.configPath, homeInt.env))).toBe(false);
  });
});
