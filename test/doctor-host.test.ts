import fs from "node:fs";
import os from "node:os";
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
import { fakeSystemTools, freePort, holdPort, runDoctorCli, writeJson } from "./helpers/doctor-fixtures.js";

// Each case runs the real CLI several times (and sometimes a gateway).
jest.setTimeout(60_000);

describe("coderclaw doctor: ports, other gateways, services and health", () => {
  let home: TempHome;
  let port: number;

  beforeEach(async () => {
    home = makeTempHome();
    port = await freePort();
  });
  afterEach(async () => {
    await killAll();
    home.cleanup();
  });

  it("a port held by a foreign process is reported with its pid and command", async () => {
    const holder = await holdPort();
    try {
      home.writeConfig(localConfig({ port: holder.port }));
      const run = await runDoctorCli([], home.env);
      const line = run.lines.find((l) => l.startsWith(`✗ Port ${holder.port} is in use by `));
      expect(line).toContain(`pid ${holder.pid} (`);
      expect(run.lines.some((l) => l.startsWith(`  - pid ${holder.pid}`) && l.includes("127.0.0.1"))).toBe(
        true,
      );
    } finally {
      await holder.stop();
    }
  });

  it("a healthy running gateway: its port is ours, health is ok, and nothing is an error", async () => {
    home.writeConfig(localConfig());
    const gateway = await startGateway(home.env);
    try {
      const env = { ...home.env, CODERCLAW_GATEWAY_PORT: String(gateway.port) };
      const run = await runDoctorCli([], env);
      expect(run.lines).toContain(
        `✓ Port ${gateway.port} is held by this gateway (pid ${gateway.child.pid})`,
      );
      expect(run.lines.some((l) => l.startsWith(`✓ Gateway healthy (ws://127.0.0.1:${gateway.port}, `))).toBe(
        true,
      );
      expect(run.lines.filter((l) => l.startsWith("✗"))).toEqual([]);
      expect(run.lines.at(-1)).toBe("Doctor complete.");

      const json = JSON.parse((await runDoctorCli(["--json"], env)).stdout);
      expect(json.ok).toBe(true);
      expect(json.findings).toContainEqual(expect.objectContaining({ id: "gateway.health", level: "ok" }));
    } finally {
      await gateway.stop();
    }
  });

  it("a gateway started with --port and --token is this config's (its runtime record says so), on the port it runs on", async () => {
    const runPort = await freePort();
    const workspace = path.join(home.home, "workspace");
    fs.mkdirSync(workspace, { recursive: true });
    // An agent command that says whether the gateway handed it a token through the environment.
    const tellsToken =
      "process.stdout.write(process.env.CODERCLAW_GATEWAY_TOKEN ? 'token inherited' : 'no token inherited')";
    home.writeConfig(
      localConfig(
        { port },
        {
          providers: { probe: { type: "command", command: [process.execPath, "-e", tellsToken] } },
          agents: { defaults: { model: "probe", workspace } },
        },
      ),
    );
    const profileConfig = path.join(home.home, ".coderclaw-work", "coderclaw.json");
    writeJson(profileConfig, localConfig({ port: runPort }));
    const flagToken = "flag-token-0123456789abcdef";
    const gateway = await startGateway(home.env, [
      "gateway",
      "--port",
      String(runPort),
      "--token",
      flagToken,
    ]);
    try {
      const pid = gateway.child.pid as number;
      expect(gateway.output().stdout).toContain("auth: token from --token");

      // The credentials of the config do not get in (the flag wins), yet the port is known to be ours.
      const own = await runDoctorCli([], home.env);
      expect(own.lines).toContain(`✓ Port ${runPort} is held by this gateway (pid ${pid})`);
      expect(own.lines).toContain(
        `  It was started on port ${runPort} (--port or CODERCLAW_GATEWAY_PORT); its config says ${port}.`,
      );
      expect(own.stdout).not.toMatch(/did not accept this config's credentials|is in use by/);
      expect(own.lines).toContain(
        `! Gateways share port ${runPort}: this CLI (default profile); profile work`,
      );
      expect(own.lines).toContain(
        `  - this CLI (default profile): port ${runPort} (running, pid ${pid}; configured ${port}), config ${home.configPath}, state ${home.stateDir}, workspace ${workspace}`,
      );
      expect(own.stdout).toContain("the gateway uses cli --token");

      // From the profile configured on that port, the holder is another gateway, named with its config.
      const other = await runDoctorCli(["--profile", "work"], home.env);
      expect(other.lines).toContain(
        `✗ Port ${runPort} is held by another coderclaw gateway (pid ${pid}, config ${home.configPath})`,
      );

      const status = await runCli(["gateway", "status", "--token", flagToken], home.env);
      expect(status.stdout).toContain("Auth: token (cli --token)\n");
      expect(status.stdout).toContain("RPC probe: ok\n");
      // The flag reached the gateway as an option: the processes it starts do not inherit it.
      const agent = await runCli(["agent", "--message", "hi", "--token", flagToken], home.env);
      expect(agent.stdout).toContain("no token inherited");
    } finally {
      await gateway.stop();
    }
  });

  it("a gateway that is not running is a warning with how to start it", async () => {
    home.writeConfig(localConfig({ port }));
    const run = await runDoctorCli([], home.env);
    expect(run.lines).toContain(`! Gateway not running (ws://127.0.0.1:${port})`);
    expect(run.lines).toContain("  Start it in the foreground: coderclaw gateway");
    expect(run.lines).toContain("  Or start the installed service: coderclaw gateway start");
  });

  describe("several gateways on one host", () => {
    const profileConfig = (profile: string) =>
      path.join(home.home, `.coderclaw-${profile}`, "coderclaw.json");

    it("two profiles on the same port are reported", async () => {
      home.writeConfig(localConfig({ port }));
      writeJson(profileConfig("work"), localConfig({ port }));
      const run = await runDoctorCli([], home.env);
      expect(run.lines).toContain(`! Gateways share port ${port}: this CLI (default profile); profile work`);
      expect(run.lines).toContain(
        `  - profile work: port ${port}, config ${profileConfig("work")}, state ${path.join(home.home, ".coderclaw-work")}, workspace ${path.join(home.home, ".coderclaw", "workspace-work")}`,
      );
    });

    it("two profiles with the same workspace are reported", async () => {
      const workspace = path.join(home.home, "shared-workspace");
      const agents = { agents: { defaults: { workspace } } };
      home.writeConfig(localConfig({ port }, agents));
      writeJson(profileConfig("work"), localConfig({ port: await freePort() }, agents));
      const run = await runDoctorCli(["--profile", "work"], home.env);
      expect(run.lines).toContain(
        `! Gateways share workspace ${workspace}: this CLI (profile work); default profile`,
      );
      expect(run.stdout).not.toMatch(/share port/);
    });

    it("an agent of one profile working in another profile's workspace is reported", async () => {
      const workspace = path.join(home.home, "team-workspace");
      fs.mkdirSync(workspace, { recursive: true });
      // The same directory through a symlink is the same workspace.
      const alias = path.join(home.home, "team-link");
      fs.symlinkSync(workspace, alias);
      home.writeConfig(localConfig({ port }, { agents: { defaults: { workspace } } }));
      const workPort = await freePort();
      writeJson(
        profileConfig("work"),
        localConfig(
          { port: workPort },
          { agents: { list: [{ id: "main" }, { id: "ops", workspace: alias }] } },
        ),
      );
      const run = await runDoctorCli([], home.env);
      expect(run.code).toBe(0);
      expect(run.lines).toContain(
        `! Gateways share workspace ${workspace}: this CLI (default profile); profile work`,
      );
      expect(run.lines).toContain(
        `  - profile work: port ${workPort}, config ${profileConfig("work")}, state ${path.join(home.home, ".coderclaw-work")}, workspace ${path.join(home.home, ".coderclaw", "workspace-work")} (agents also in ${workspace})`,
      );
    });

    it("a config whose state dir is another profile's is reported", async () => {
      const sharedState = path.join(home.home, ".coderclaw-b");
      writeJson(path.join(sharedState, "coderclaw.json"), localConfig({ port: await freePort() }));
      const aConfig = path.join(home.home, ".coderclaw", "a.json");
      writeJson(aConfig, localConfig({ port }));
      const env = { ...home.env, CODERCLAW_CONFIG_PATH: aConfig, CODERCLAW_STATE_DIR: sharedState };
      const run = await runDoctorCli([], env);
      expect(run.lines).toContain(
        `✗ Gateways share state dir ${sharedState}: this CLI (default profile); profile b`,
      );
    });

    it("distinct profiles pass the runbook checklist", async () => {
      home.writeConfig(localConfig({ port }));
      writeJson(profileConfig("work"), localConfig({ port: await freePort() }));
      const run = await runDoctorCli([], home.env);
      expect(run.lines).toContain(
        "✓ 2 gateways configured on this host; ports, configs, state dirs and workspaces are distinct",
      );
    });
  });

  describe("an installed systemd user unit", () => {
    const unitDir = () => path.join(home.home, ".config", "systemd", "user");
    const unitFile = () => path.join(unitDir(), "coderclaw-gateway.service");
    const envWithTools = (linger: "yes" | "no" = "no") => ({
      ...home.env,
      PATH: fakeSystemTools(home.home, linger),
    });
    const driftedUnit = (token: string) =>
      [
        "[Unit]",
        "Description=CoderClaw Gateway (old)",
        "",
        "[Service]",
        `ExecStart=${process.execPath} /opt/old-coderclaw/bin/run.js gateway --port ${port}`,
        "Restart=always",
        "RestartSec=10",
        `Environment=CODERCLAW_GATEWAY_TOKEN=${token}`,
        `Environment=CODERCLAW_STATE_DIR=${home.stateDir}`,
        `Environment=CODERCLAW_CONFIG_PATH=${home.configPath}`,
        "",
        "[Install]",
        "WantedBy=default.target",
        "",
      ].join("\n");

    it("is audited for drift (token included) and rewritten by --repair --yes", async () => {
      home.writeConfig(localConfig({ port }));
      fs.mkdirSync(unitDir(), { recursive: true });
      fs.writeFileSync(unitFile(), driftedUnit("stale-token"));
      const env = envWithTools();
      const report = await runDoctorCli([], env);
      expect(report.lines).toContain(`! Gateway service config drifted from the defaults (${unitFile()})`);
      for (const code of [
        "gateway-token-drift",
        "gateway-path-missing",
        "systemd-after-network-online",
        "systemd-wants-network-online",
        "systemd-restart-sec",
        "gateway-entrypoint-mismatch",
      ]) {
        expect(report.lines.some((line) => line.startsWith(`  - ${code}: `))).toBe(true);
      }
      expect(report.lines).toContain(
        `  Fix: Rewrite ${unitFile()} with the current defaults (same as coderclaw gateway install --force)`,
      );

      const run = await runDoctorCli(["--repair", "--yes"], env);
      expect(run.stdout).toContain(`  Repaired: Rewrite ${unitFile()}`);
      const unit = fs.readFileSync(unitFile(), "utf8");
      expect(unit).not.toContain("CODERCLAW_GATEWAY_TOKEN");
      expect(unit).toContain("RestartSec=5");
      expect(unit).toContain(`gateway --port ${port}`);
      expect((await runDoctorCli([], env)).lines).toContain(
        `✓ Gateway service config matches the defaults (${unitFile()})`,
      );
    });

    it("an installed unit edited to Restart=no is reported, and `doctor --fix` restores Restart=always", async () => {
      home.writeConfig(localConfig({ port }));
      const env = envWithTools("yes");
      const install = await runCli(["gateway", "install"], env);
      expect(install.stdout).toContain(`Wrote systemd unit: ${unitFile()}`);
      const installed = fs.readFileSync(unitFile(), "utf8");
      expect(installed).toContain("\nRestart=always\n");
      expect((await runDoctorCli([], env)).lines).toContain(
        `✓ Gateway service config matches the defaults (${unitFile()})`,
      );
      fs.writeFileSync(unitFile(), installed.replace("Restart=always", "Restart=no"));
      const report = await runDoctorCli([], env);
      expect(report.lines).toContain(`! Gateway service config drifted from the defaults (${unitFile()})`);
      expect(report.lines).toContain(
        "  - systemd-restart: Restart is not always: systemd will not bring the gateway back when it exits (Restart=no)",
      );
      const fixed = await runDoctorCli(["--fix"], env);
      expect(fixed.stdout).toContain(`  Repaired: Rewrite ${unitFile()}`);
      expect(fs.readFileSync(unitFile(), "utf8")).toContain("\nRestart=always\n");
      expect((await runDoctorCli([], env)).lines).toContain(
        `✓ Gateway service config matches the defaults (${unitFile()})`,
      );
    });

    it("with lingering off, says how to enable it", async () => {
      home.writeConfig(localConfig({ port }));
      fs.mkdirSync(unitDir(), { recursive: true });
      fs.writeFileSync(unitFile(), driftedUnit(TEST_TOKEN));
      const user = os.userInfo().username;
      const off = await runDoctorCli([], envWithTools("no"));
      expect(off.lines).toContain(
        `! systemd lingering is disabled for ${user}; the gateway service stops when ${user} logs out.`,
      );
      expect(off.lines).toContain(`  Enable it: sudo loginctl enable-linger ${user}`);
      const on = await runDoctorCli([], envWithTools("yes"));
      expect(on.lines).toContain(`✓ systemd lingering is enabled for ${user}`);
    });

    it("other gateway-like units in the user dir are listed", async () => {
      home.writeConfig(localConfig({ port }));
      fs.mkdirSync(unitDir(), { recursive: true });
      const other = path.join(unitDir(), "my-assistant.service");
      fs.writeFileSync(other, "[Service]\nExecStart=/usr/bin/coderclaw gateway --port 18790\n");
      const run = await runDoctorCli([], envWithTools());
      expect(run.lines).toContain("! Other gateway-like services found: 1");
      expect(run.lines).toContain(`  - my-assistant (user): gateway-like, ${other}`);
    });

    it("two units running the same config and state dir are reported", async () => {
      home.writeConfig(localConfig({ port }));
      fs.mkdirSync(unitDir(), { recursive: true });
      fs.writeFileSync(unitFile(), driftedUnit(TEST_TOKEN));
      fs.writeFileSync(path.join(unitDir(), "coderclaw-gateway-copy.service"), driftedUnit(TEST_TOKEN));
      const run = await runDoctorCli([], envWithTools("yes"));
      expect(run.stdout).toMatch(new RegExp(`^✗ Gateways share config path ${home.configPath}: `, "m"));
      expect(run.stdout).toMatch(new RegExp(`^✗ Gateways share state dir ${home.stateDir}: `, "m"));
    });
  });
});
