import fs from "node:fs";
import path from "node:path";
import { runtimeRecordPathFor } from "../src/host/runtime-record.js";
import { localConfig, runCli, startGateway, TEST_TOKEN, type TempHome } from "./helpers/gateway-process.js";
import { freePort, useCliHomes } from "./helpers/start-tools.js";
import { waitFor } from "./helpers/wait-for.js";

jest.setTimeout(120_000);

/** One CLI run; generous because CI machines run several suites (and gateways) at once. */
const CLI_TIMEOUT_MS = 45_000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed JSON, asserted field by field
type Json = any;

const homes = useCliHomes();
const gateways = homes.gateways;

const cli = (home: TempHome, ...args: string[]) => runCli(args, home.env, CLI_TIMEOUT_MS);

function readRecord(configPath: string): Json {
  return JSON.parse(fs.readFileSync(runtimeRecordPathFor(configPath), "utf8"));
}

/** The value cell of a `coderclaw status` Overview row. */
function row(stdout: string, item: string): string {
  const line = stdout.split("\n").find((l) => l.startsWith(`│ ${item} `));
  if (!line) throw new Error(`no "${item}" row in:\n${stdout}`);
  return line.split("│")[2]!.trim();
}

/** A home whose config says nothing about the port: the gateway is started with `--port`. */
function homeWithoutPort(): TempHome {
  const home = homes.empty();
  home.writeConfig(localConfig());
  return home;
}

describe("the running gateway records where it listens", () => {
  it("writes a private runtime record next to its lock (pid, port, addresses, auth source, no secret) and removes it on stop", async () => {
    const home = homeWithoutPort();
    const port = await freePort();
    const gateway = await startGateway(home.env, ["gateway", "--port", String(port)]);
    const file = runtimeRecordPathFor(home.configPath);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(path.dirname(file)).toBe(path.dirname(file.replace(/\.json$/, ".lock")));
    const text = fs.readFileSync(file, "utf8");
    expect(text).not.toContain(TEST_TOKEN);
    expect(JSON.parse(text)).toEqual({
      pid: gateway.child.pid,
      startTime: expect.any(Number),
      startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      port,
      bind: "loopback",
      addresses: expect.arrayContaining(["127.0.0.1"]),
      tls: { enabled: false },
      auth: { mode: "token", source: "config gateway.auth.token" },
      configPath: home.configPath,
      stateDir: home.stateDir,
      version: expect.any(String),
    });
    expect(await gateway.stop()).toEqual({ code: 0, signal: null });
    expect(fs.existsSync(file)).toBe(false);
  });

  it("gateway status, status, health, gateway probe, logs and doctor find a gateway on a non-default port", async () => {
    const home = homeWithoutPort();
    const port = await freePort();
    const gateway = await startGateway(home.env, ["gateway", "--port", String(port)]);
    gateways.push(gateway);
    const pid = gateway.child.pid;
    const source = `running gateway pid ${pid}`;

    const status = await cli(home, "gateway", "status");
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`Runtime: running (pid ${pid}, state ready)\n`);
    expect(status.stdout).not.toContain("not listening yet");
    expect(status.stdout).toContain("RPC probe: ok\n");
    expect(status.stdout).toMatch(
      new RegExp(`^Gateway: bind=loopback \\(127\\.0\\.0\\.1.*\\), port=${port} \\(${source}\\)$`, "m"),
    );
    expect(status.stdout).toContain(`Probe target: ws://127.0.0.1:${port}\n`);

    const overview = await cli(home, "status");
    expect(overview.code).toBe(0);
    expect(row(overview.stdout, "Gateway")).toMatch(
      new RegExp(`^local · ws://127\\.0\\.0\\.1:${port} \\(${source}\\) · reachable \\d+ms · auth token`),
    );
    expect(overview.stdout).not.toContain("Gateway not reachable");

    const health = await cli(home, "health");
    expect(health).toMatchObject({ code: 0, stderr: "" });
    expect(health.stdout).toContain("Agents: main (default)");

    const probe = await cli(home, "gateway", "probe");
    expect(probe.code).toBe(0);
    expect(probe.stdout).toContain(`Gateway probe: ws://127.0.0.1:${port}\n`);
    expect(probe.stdout).toMatch(/^Reachable: yes \(\d+ms\)$/m);

    const dashboard = await cli(home, "dashboard", "--no-open");
    expect(dashboard.stdout).toContain(`http://127.0.0.1:${port}/#token=${TEST_TOKEN}`);

    const logs = await cli(home, "logs", "--limit", "5");
    expect(logs.code).toBe(0);
    expect(logs.stdout).toMatch(/^Log file: /);

    const doctor = await cli(home, "doctor", "--json");
    const findings: Json[] = JSON.parse(doctor.stdout).findings;
    expect(findings.find((f) => f.id === "gateway.health")).toMatchObject({
      level: "ok",
      message: expect.stringContaining(`Gateway healthy (ws://127.0.0.1:${port}`),
    });
    expect(findings.find((f) => f.id === "port.owner")).toMatchObject({
      level: "ok",
      message: `Port ${port} is held by this gateway (pid ${pid})`,
    });
  });

  it("status-like commands take --port: another home's CLI reaches the gateway on that port", async () => {
    const home = homeWithoutPort();
    const port = await freePort();
    const gateway = await startGateway(home.env, ["gateway", "--port", String(port)]);
    gateways.push(gateway);
    // Same token, but no runtime record of its own: only --port can lead it there.
    const other = homeWithoutPort();
    const portArg = ["--port", String(port)];

    const health = await cli(other, "health", ...portArg);
    expect(health).toMatchObject({ code: 0, stderr: "" });
    const status = await cli(other, "gateway", "status", ...portArg);
    expect(status.stdout).toContain(`port=${port} (cli --port)`);
    expect(status.stdout).toContain("RPC probe: ok\n");
    const overview = await cli(other, "status", ...portArg);
    expect(row(overview.stdout, "Gateway")).toMatch(
      new RegExp(`^local · ws://127\\.0\\.0\\.1:${port} \\(cli --port\\) · reachable`),
    );
    const probe = await cli(other, "gateway", "probe", ...portArg);
    expect(probe.code).toBe(0);
    const logs = await cli(other, "logs", "--limit", "1", ...portArg);
    expect(logs.code).toBe(0);
    const doctor = await cli(other, "doctor", "--json", ...portArg);
    const findings: Json[] = JSON.parse(doctor.stdout).findings;
    expect(findings.find((f) => f.id === "gateway.health")?.message).toContain(
      `Gateway healthy (ws://127.0.0.1:${port}`,
    );

    // Without --port that CLI looks at its own (default) port and says where it looked.
    const elsewhere = await cli(other, "health", "--port", String(await freePort()));
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toContain("Source: cli --port");
  });

  it("an in-process restart onto a new gateway.port rewrites the record; the CLI follows it", async () => {
    const home = homes.empty();
    const first = await freePort();
    home.writeConfig(localConfig({ port: first }));
    const gateway = await startGateway(home.env, ["gateway"]);
    gateways.push(gateway);
    expect(readRecord(home.configPath).port).toBe(first);
    const second = await freePort();
    home.writeConfig(localConfig({ port: second }));
    await waitFor(
      "the record of the instance on the new port",
      () => (readRecord(home.configPath).port === second ? true : undefined),
      20_000,
    );
    const status = await cli(home, "gateway", "status");
    expect(status.stdout).toContain(`port=${second} (running gateway pid ${gateway.child.pid})`);
    expect(status.stdout).toContain("RPC probe: ok\n");
  });

  it("`gateway restart` restarts a foreground gateway started with --port where it listens", async () => {
    const home = homeWithoutPort();
    const port = await freePort();
    const gateway = await startGateway(home.env, ["gateway", "--port", String(port)]);
    gateways.push(gateway);
    const result = await cli(home, "gateway", "restart");
    expect(result.stdout).toContain(`Restarting the foreground gateway (pid ${gateway.child.pid}) in place.`);
    expect(result.stdout).toContain(`Gateway is ready on ws://127.0.0.1:${port}`);
    expect(result.code).toBe(0);
  });

  it("a record others could have written is ignored: the CLI never sends its token where it points", async () => {
    const home = homeWithoutPort();
    const gateway = await startGateway(home.env, ["gateway", "--port", String(await freePort())]);
    gateways.push(gateway);
    fs.chmodSync(runtimeRecordPathFor(home.configPath), 0o666);
    const status = await cli(home, "gateway", "status", "--no-probe");
    expect(status.stdout).toContain("port=18789 (default)");
    expect(status.stdout).not.toContain("running gateway");
  });

  it("a record left by a killed gateway is ignored (its pid is gone)", async () => {
    const home = homeWithoutPort();
    const gateway = await startGateway(home.env, ["gateway", "--port", String(await freePort())]);
    gateway.child.kill("SIGKILL");
    await gateway.exited;
    expect(fs.existsSync(runtimeRecordPathFor(home.configPath))).toBe(true);
    const status = await cli(home, "gateway", "status", "--no-probe");
    expect(status.stdout).toContain("port=18789 (default)");
    expect(status.stdout).not.toContain("running gateway");
  });
});

describe("a gateway bound beyond loopback", () => {
  it("`--profile x gateway --bind lan`: gateway status reports 0.0.0.0 and doctor warns about the missing rate limit", async () => {
    const home = homes.empty();
    const configPath = path.join(home.home, ".coderclaw-x", "coderclaw.json");
    fs.mkdirSync(path.dirname(configPath), { recursive: true, mode: 0o700 });
    fs.writeFileSync(configPath, JSON.stringify(localConfig()), { mode: 0o600 });
    const args = ["--profile", "x"];
    gateways.push(await startGateway(home.env, [...args, "gateway", "--bind", "lan", "--port", "0"]));

    const status = await cli(home, ...args, "gateway", "status");
    expect(status.stdout).toMatch(
      /^Gateway: bind=lan \(0\.0\.0\.0\), port=\d+ \(running gateway pid \d+\)$/m,
    );
    expect(status.stdout).not.toContain("only local clients can connect");
    expect(status.stdout).toContain("RPC probe: ok\n");

    const doctor = await cli(home, ...args, "doctor", "--json");
    const findings: Json[] = JSON.parse(doctor.stdout).findings;
    expect(findings.find((f) => f.id === "gateway.auth.rateLimit")).toMatchObject({
      level: "warn",
      message: expect.stringContaining("(bind=lan, listening on 0.0.0.0) with no gateway.auth.rateLimit"),
    });
  });
});

describe("one token rule: --token, then CODERCLAW_GATEWAY_TOKEN, then gateway.auth.token", () => {
  const ENV_TOKEN = "env-token-fedcba9876543210";

  it("the gateway and the CLI both take the env token over the config one", async () => {
    const home = homeWithoutPort();
    const env = { ...home.env, CODERCLAW_GATEWAY_TOKEN: ENV_TOKEN };
    gateways.push(await startGateway(env, ["gateway", "--port", "0"]));
    expect(readRecord(home.configPath).auth).toEqual({
      mode: "token",
      source: "env CODERCLAW_GATEWAY_TOKEN",
    });
    expect((await runCli(["health"], env, CLI_TIMEOUT_MS)).code).toBe(0);
    const status = await runCli(["gateway", "status"], env, CLI_TIMEOUT_MS);
    expect(status.stdout).toContain("Auth: token (env CODERCLAW_GATEWAY_TOKEN)\n");
    // That first connect paired the CLI as a device: its device token alone still lets it in.
    expect((await cli(home, "health")).code).toBe(0);
    // Without it the shared secret decides, and the config token is no longer what the gateway checks.
    fs.rmSync(path.join(home.stateDir, "identity", "device-auth.json"));
    const withConfig = await cli(home, "health");
    expect(withConfig.code).toBe(1);
    expect(withConfig.stderr.split("\n").slice(0, 1)).toEqual([
      "gateway token mismatch: this command sent the token from config gateway.auth.token; the gateway uses env CODERCLAW_GATEWAY_TOKEN",
    ]);
  });

  it("on a mismatch every command names the source each side used", async () => {
    const home = homeWithoutPort();
    gateways.push(await startGateway(home.env, ["gateway", "--port", "0"]));
    const env = { ...home.env, CODERCLAW_GATEWAY_TOKEN: ENV_TOKEN };
    const expected =
      "gateway token mismatch: this command sent the token from env CODERCLAW_GATEWAY_TOKEN; the gateway uses config gateway.auth.token";

    const health = await runCli(["health"], env, CLI_TIMEOUT_MS);
    expect(health.code).toBe(1);
    expect(health.stderr.split("\n").slice(0, 2)).toEqual([
      expected,
      "Fix: the CLI and the gateway both take --token, then CODERCLAW_GATEWAY_TOKEN, then gateway.auth.token in the config; give both the same token.",
    ]);
    const status = await runCli(["status"], env, CLI_TIMEOUT_MS);
    expect(row(status.stdout, "Gateway")).toContain(`unreachable (${expected})`);
    const gatewayStatus = await runCli(["gateway", "status"], env, CLI_TIMEOUT_MS);
    expect(gatewayStatus.stderr).toContain(`  ${expected}\n`);
    const doctor = await runCli(["doctor", "--json"], env, CLI_TIMEOUT_MS);
    expect(doctor.stdout).toContain(expected);
    const probe = await runCli(["gateway", "probe"], env, CLI_TIMEOUT_MS);
    expect(probe.stdout).toContain(`Reachable: no (connect failed: ${expected})\n`);

    const flag = await cli(home, "health", "--token", "wrong-token");
    expect(flag.stderr.split("\n")[0]).toBe(
      "gateway token mismatch: this command sent the token from cli --token; the gateway uses config gateway.auth.token",
    );
    // The flag wins over the env var on the CLI side too.
    const flagOverEnv = await runCli(["health", "--token", TEST_TOKEN], env, CLI_TIMEOUT_MS);
    expect(flagOverEnv.code).toBe(0);
  });
});

describe("one message for a URL override without credentials", () => {
  it("status and doctor, which now take --url, refuse it without --token/--password like every other command", async () => {
    const home = homeWithoutPort();
    for (const command of [["status"], ["doctor"], ["gateway", "status"], ["health"]]) {
      const result = await cli(home, ...command, "--url", "ws://127.0.0.1:9");
      expect({ command, code: result.code, stderr: result.stderr.trimEnd().split("\n") }).toEqual({
        command,
        code: 1,
        stderr: [
          "gateway url override requires explicit credentials",
          "Fix: pass --token or --password.",
          `Config: ${home.configPath}`,
        ],
      });
    }
  });
});

describe("truthful port sources and listener diagnostics", () => {
  it("gateway status names the default as `default` and a configured port as `config gateway.port`", async () => {
    const home = homes.empty();
    home.writeConfig(localConfig());
    const byDefault = await cli(home, "gateway", "status", "--no-probe");
    expect(byDefault.stdout).toContain("port=18789 (default)");
    home.writeConfig(localConfig({ port: 47283 }));
    const configured = await cli(home, "gateway", "status", "--no-probe");
    expect(configured.stdout).toContain("port=47283 (config gateway.port)");
    const fromEnv = await runCli(
      ["gateway", "status", "--no-probe"],
      { ...home.env, CODERCLAW_GATEWAY_PORT: "47284" },
      CLI_TIMEOUT_MS,
    );
    expect(fromEnv.stdout).toContain("port=47284 (env CODERCLAW_GATEWAY_PORT)");
  });

  it("`--dev setup` names the dev profile's port as such, and the env var only when it is set", async () => {
    const home = homes.empty();
    const dev = await cli(home, "--dev", "setup");
    expect(dev.stdout).toContain("Gateway port: 19001 (dev profile)");
    expect(dev.stdout).not.toContain("CODERCLAW_GATEWAY_PORT");
    const pinned = await runCli(
      ["--dev", "setup"],
      { ...home.env, CODERCLAW_GATEWAY_PORT: "47285" },
      CLI_TIMEOUT_MS,
    );
    expect(pinned.stdout).toContain("Gateway port: 47285 (env CODERCLAW_GATEWAY_PORT)");
  });

  it("one gateway on 127.0.0.1 and ::1 is not reported as multiple listeners", async () => {
    const home = homeWithoutPort();
    const port = await freePort();
    const gateway = await startGateway(home.env, ["gateway", "--port", String(port)]);
    gateways.push(gateway);
    expect(readRecord(home.configPath).addresses).toEqual(["127.0.0.1", "::1"]);
    const second = homeWithoutPort();
    const result = await cli(second, "gateway", "--port", String(port));
    expect(result.code).toBe(1);
    expect(result.stderr.split("\n")).toContain(`Port ${port} is already in use.`);
    const holders = result.stderr.split("\n").filter((line) => line.startsWith(`- pid ${gateway.child.pid}`));
    expect(holders.length).toBe(2);
    expect(result.stderr).not.toContain("Multiple listeners detected");
  });
});
