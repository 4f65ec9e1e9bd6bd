import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { localConfig, runCli, startGateway, TEST_TOKEN } from "./helpers/gateway-process.js";
import { useCliHomes } from "./helpers/start-tools.js";

jest.setTimeout(90_000);

/** One CLI run; generous because CI machines run several suites (and gateways) at once. */
const CLI_TIMEOUT_MS = 45_000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed CLI JSON, asserted field by field
type Json = any;

const homes = useCliHomes();
const gateways = homes.gateways;

async function newHome(config?: (port: number) => Record<string, unknown>) {
  const { home, port } = await homes.configured(config);
  return {
    home,
    port,
    unitPath: path.join(home.home, ".config", "systemd", "user", "coderclaw-gateway.service"),
  };
}

const ENVELOPE_KEYS = ["ok", "action", "result", "message", "error", "hints", "warnings", "service"];

function envelope(stdout: string, action: string): Json {
  const parsed: Json = JSON.parse(stdout);
  expect(parsed.action).toBe(action);
  expect(typeof parsed.ok).toBe("boolean");
  for (const key of Object.keys(parsed)) expect(ENVELOPE_KEYS).toContain(key);
  return parsed;
}

/** How "no user manager" reads, whether systemctl is installed (container) or missing (minimal image). */
const USER_UNAVAILABLE =
  "(systemctl --user unavailable: .+|systemctl not available; systemd user services are required on Linux\\.)";
const SYSTEM_UNAVAILABLE =
  "(systemctl unavailable: .+|systemctl not available; systemd is required for system services\\.)";

/** Whether a systemd manager answers (decided once, so skipped tests show as skipped). */
const managerAnswers = (args: string[]) => spawnSync("systemctl", args, { timeout: 5_000 }).status === 0;
const userSystemd = managerAnswers(["--user", "show-environment"]);
const systemSystemd = managerAnswers(["show-environment"]);

/** Where no user systemd answers (containers, CI): the fallback. Elsewhere the real-manager suite runs. */
const withoutUserSystemd = userSystemd ? it.skip : it;
const withUserSystemd = userSystemd ? it : it.skip;
const withoutSystemSystemd = systemSystemd ? it.skip : it;

describe("gateway install/start/stop/restart/uninstall without a running systemd", () => {
  withoutUserSystemd(
    "(no systemd user manager) install writes the user unit, says systemd is unavailable, prints the manual steps, exits 1",
    async () => {
      const { home, port, unitPath } = await newHome();
      const { code, stdout, stderr } = await runCli(["gateway", "install"], home.env, CLI_TIMEOUT_MS);
      expect(code).toBe(1);
      expect(stdout).toContain(`Wrote systemd unit: ${unitPath}\n`);
      expect(stderr).toMatch(new RegExp(`^Cannot enable the gateway service: ${USER_UNAVAILABLE}$`, "m"));
      expect(stderr).toContain("  systemctl --user daemon-reload\n");
      expect(stderr).toContain("  systemctl --user enable --now coderclaw-gateway.service\n");
      expect(stderr).toContain("Or run the gateway in the foreground: coderclaw gateway\n");
      expect(stdout + stderr).not.toContain(TEST_TOKEN);
      const unit = fs.readFileSync(unitPath, "utf8");
      expect(unit).toContain(
        `ExecStart=${process.execPath} ${path.resolve(__dirname, "..", "bin", "run.js")} gateway --port ${port}\n`,
      );
      expect(unit).toContain(`Environment=CODERCLAW_CONFIG_PATH=${home.configPath}\n`);
      // The service gateway reads the config's token itself, as the CLI does: no copy in the unit.
      expect(unit).not.toContain("CODERCLAW_GATEWAY_TOKEN");
      expect(fs.statSync(unitPath).mode & 0o777).toBe(0o600);
    },
  );

  withoutUserSystemd(
    "install --json: an envelope with the unavailable result, the hints, and exit 1",
    async () => {
      const { home, unitPath } = await newHome();
      const { code, stdout } = await runCli(["gateway", "install", "--json"], home.env, CLI_TIMEOUT_MS);
      expect(code).toBe(1);
      const result = envelope(stdout, "install");
      expect(result).toMatchObject({
        ok: false,
        result: "unavailable",
        message: `Wrote systemd unit: ${unitPath}`,
        error: expect.stringMatching(new RegExp(`^Cannot enable the gateway service: ${USER_UNAVAILABLE}$`)),
        service: {
          label: "coderclaw-gateway.service",
          loaded: false,
          loadedText: "enabled",
          notLoadedText: "disabled",
        },
      });
      expect(result.hints).toEqual([
        "systemctl --user daemon-reload",
        "systemctl --user enable --now coderclaw-gateway.service",
        "coderclaw gateway",
      ]);
      expect(fs.existsSync(unitPath)).toBe(true);
    },
  );

  withoutUserSystemd(
    "a second install without --force reports already-installed; --force rewrites",
    async () => {
      const { home, unitPath } = await newHome();
      await runCli(["gateway", "install"], home.env, CLI_TIMEOUT_MS);
      const again = envelope(
        (await runCli(["gateway", "install", "--json"], home.env, CLI_TIMEOUT_MS)).stdout,
        "install",
      );
      expect(again).toMatchObject({
        result: "already-installed",
        message: `Gateway service unit already exists: ${unitPath}`,
      });
      expect(again.hints[0]).toBe("coderclaw gateway install --force");
      fs.writeFileSync(unitPath, "[Service]\nExecStart=/bin/false\n");
      const forced = envelope(
        (
          await runCli(
            ["gateway", "install", "--force", "--port", "19555", "--json"],
            home.env,
            CLI_TIMEOUT_MS,
          )
        ).stdout,
        "install",
      );
      expect(forced.result).toBe("unavailable");
      expect(fs.readFileSync(unitPath, "utf8")).toContain("gateway --port 19555\n");
    },
  );

  withoutUserSystemd(
    "install without a token generates one and saves it to the config (the unit does not copy it)",
    async () => {
      const { home, unitPath } = await newHome(() => ({ gateway: { mode: "local" } }));
      const { stdout } = await runCli(["gateway", "install"], home.env, CLI_TIMEOUT_MS);
      expect(stdout).toContain("No gateway token found. Auto-generated one and saving to config.");
      const token = JSON.parse(fs.readFileSync(home.configPath, "utf8")).gateway.auth.token as string;
      expect(token).toMatch(/^[0-9a-f]{48}$/);
      expect(stdout).not.toContain(token);
      expect(fs.readFileSync(unitPath, "utf8")).not.toContain(token);
    },
  );

  withoutUserSystemd(
    "install pins the shell's CODERCLAW_GATEWAY_TOKEN (the token the CLI sends), rewriting a 0644 unit as 0600",
    async () => {
      const { home, unitPath } = await newHome();
      fs.mkdirSync(path.dirname(unitPath), { recursive: true });
      fs.writeFileSync(unitPath, "[Service]\nExecStart=/bin/false\n", { mode: 0o644 });
      const shellToken = "shell-token-0123456789abcdef";
      const env = { ...home.env, CODERCLAW_GATEWAY_TOKEN: shellToken };
      const { stdout, stderr } = await runCli(["gateway", "install", "--force"], env, CLI_TIMEOUT_MS);
      expect(stdout + stderr).toContain(
        "The service pins CODERCLAW_GATEWAY_TOKEN from this shell: it wins over gateway.auth.token, for the service gateway as for the CLI.",
      );
      expect(stdout + stderr).not.toContain(shellToken);
      const unit = fs.readFileSync(unitPath, "utf8");
      expect(unit).toContain(`Environment=CODERCLAW_GATEWAY_TOKEN=${shellToken}\n`);
      expect(unit).not.toContain(TEST_TOKEN);
      expect(fs.statSync(unitPath).mode & 0o777).toBe(0o600);
      // No temp file is left beside it.
      expect(fs.readdirSync(path.dirname(unitPath))).toEqual([path.basename(unitPath)]);

      // `--token` wins over both; the CLI's commands would still send the shell's token, so it says so.
      const flagged = await runCli(
        ["gateway", "install", "--force", "--token", "flag-token-0123456789"],
        env,
        CLI_TIMEOUT_MS,
      );
      expect(flagged.stderr).toContain(
        "--token differs from CODERCLAW_GATEWAY_TOKEN, which CLI commands send; the service gateway uses the --token value (pinned as CODERCLAW_GATEWAY_TOKEN), so pass it to them with --token or CODERCLAW_GATEWAY_TOKEN.",
      );
      expect(fs.readFileSync(unitPath, "utf8")).toContain(
        "Environment=CODERCLAW_GATEWAY_TOKEN=flag-token-0123456789\n",
      );
    },
  );

  withoutUserSystemd("install warns when gateway.mode is not local", async () => {
    const { home } = await newHome(() => ({ gateway: { auth: { token: TEST_TOKEN } } }));
    const { stderr } = await runCli(["gateway", "install"], home.env, CLI_TIMEOUT_MS);
    expect(stderr).toContain(
      'the service will not start until it is "local" (coderclaw config set gateway.mode local)',
    );
  });

  withoutUserSystemd("start, restart and stop say systemd is unavailable and exit 1", async () => {
    const { home } = await newHome();
    await runCli(["gateway", "install"], home.env, CLI_TIMEOUT_MS);
    for (const action of ["start", "restart", "stop"]) {
      const { code, stderr } = await runCli(["gateway", action], home.env, CLI_TIMEOUT_MS);
      expect({ action, code }).toEqual({ action, code: 1 });
      expect(stderr).toMatch(new RegExp(`^Cannot ${action} the gateway service: ${USER_UNAVAILABLE}$`, "m"));
      const json = envelope(
        (await runCli(["gateway", action, "--json"], home.env, CLI_TIMEOUT_MS)).stdout,
        action,
      );
      expect(json).toMatchObject({ ok: false, result: "unavailable" });
    }
    const start = envelope(
      (await runCli(["gateway", "start", "--json"], home.env, CLI_TIMEOUT_MS)).stdout,
      "start",
    );
    expect(start.hints).toEqual([
      "systemctl --user daemon-reload",
      "systemctl --user enable --now coderclaw-gateway.service",
      "coderclaw gateway",
    ]);
  });

  withoutUserSystemd("start before install points at install and the foreground", async () => {
    const { home } = await newHome();
    const { code, stderr } = await runCli(["gateway", "start"], home.env, CLI_TIMEOUT_MS);
    expect(code).toBe(1);
    expect(stderr).toContain("Install the service with: coderclaw gateway install\n");
    expect(stderr).toContain("Or run the gateway in the foreground: coderclaw gateway\n");
  });

  withoutUserSystemd("stop names a running foreground gateway and how to stop it", async () => {
    const { home } = await newHome();
    const gateway = await startGateway(home.env, ["gateway"]);
    gateways.push(gateway);
    const { code, stderr } = await runCli(["gateway", "stop"], home.env, CLI_TIMEOUT_MS);
    expect(code).toBe(1);
    expect(stderr).toContain(`A foreground gateway is running (pid ${gateway.child.pid})`);
    expect(stderr).toContain(`kill ${gateway.child.pid}`);
    expect(gateway.child.exitCode).toBeNull();
  });

  withoutUserSystemd("restart warns about token drift before anything else", async () => {
    const { home } = await newHome();
    const shellToken = "shell-token-0123456789abcdef";
    await runCli(
      ["gateway", "install"],
      { ...home.env, CODERCLAW_GATEWAY_TOKEN: shellToken },
      CLI_TIMEOUT_MS,
    );
    // A shell without that token sends the config's, which the service gateway no longer takes.
    const { stderr, stdout } = await runCli(["gateway", "restart"], home.env, CLI_TIMEOUT_MS);
    expect(stderr).toContain(
      "⚠️  Config token differs from service token. The service unit still pins the old token.",
    );
    expect(stderr).toContain("   Run `coderclaw gateway install --force` to sync the token.");
    expect(stdout + stderr).not.toMatch(/shell-token-0123456789abcdef|test-token-0123456789abcdef/);
    const json = envelope(
      (await runCli(["gateway", "restart", "--json"], home.env, CLI_TIMEOUT_MS)).stdout,
      "restart",
    );
    expect(json.warnings[0]).toContain("Config token differs from service token.");
  });

  withoutUserSystemd("a rotated config token is no drift for a unit that pins none", async () => {
    const { home, port } = await newHome();
    await runCli(["gateway", "install"], home.env, CLI_TIMEOUT_MS);
    home.writeConfig(localConfig({ port, auth: { token: "rotated-token-42" } }));
    const { stderr } = await runCli(["gateway", "restart"], home.env, CLI_TIMEOUT_MS);
    expect(stderr).not.toContain("differs from service token");
  });

  withoutUserSystemd("uninstall removes the unit even without systemd (exit 0, with a warning)", async () => {
    const { home, unitPath } = await newHome();
    await runCli(["gateway", "install"], home.env, CLI_TIMEOUT_MS);
    const json = envelope(
      (await runCli(["gateway", "uninstall", "--json"], home.env, CLI_TIMEOUT_MS)).stdout,
      "uninstall",
    );
    expect(json).toMatchObject({
      ok: true,
      result: "uninstalled",
      message: `Removed systemd service: ${unitPath}`,
    });
    expect(json.warnings[0]).toMatch(new RegExp(`^Nothing was disabled: ${USER_UNAVAILABLE}$`));
    expect(fs.existsSync(unitPath)).toBe(false);
    const again = await runCli(["gateway", "uninstall"], home.env, CLI_TIMEOUT_MS);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`Systemd service not found at ${unitPath}`);
  });

  withoutUserSystemd("profiles install their own unit names", async () => {
    const { home } = await newHome();
    const { stdout } = await runCli(["--profile", "rescue", "gateway", "install"], home.env, CLI_TIMEOUT_MS);
    const unitPath = path.join(home.home, ".config", "systemd", "user", "coderclaw-gateway-rescue.service");
    expect(stdout).toContain(`Wrote systemd unit: ${unitPath}`);
    expect(fs.readFileSync(unitPath, "utf8")).toContain(
      `Environment=CODERCLAW_STATE_DIR=${path.join(home.home, ".coderclaw-rescue")}\n`,
    );
  });

  withoutSystemSystemd(
    "(no system manager) install --system writes a system unit with User= (into CODERCLAW_SYSTEMD_SYSTEM_DIR)",
    async () => {
      const { home, port } = await newHome();
      const systemDir = path.join(home.home, "etc-systemd-system");
      home.env.CODERCLAW_SYSTEMD_SYSTEM_DIR = systemDir;
      const { code, stdout, stderr } = await runCli(
        ["gateway", "install", "--system"],
        home.env,
        CLI_TIMEOUT_MS,
      );
      expect(code).toBe(1);
      const unitPath = path.join(systemDir, "coderclaw-gateway.service");
      expect(stdout).toContain(`Wrote systemd unit: ${unitPath}`);
      expect(stderr).toMatch(new RegExp(`^Cannot enable the gateway service: ${SYSTEM_UNAVAILABLE}$`, "m"));
      expect(stderr).toMatch(/\n {2}(sudo )?systemctl enable --now coderclaw-gateway\.service\n/);
      const unit = fs.readFileSync(unitPath, "utf8");
      expect(unit).toContain(`User=${os.userInfo().username}\n`);
      expect(unit).toContain("WantedBy=multi-user.target");
      expect(unit).toContain(`gateway --port ${port}`);
      // Later commands find the system unit without --system.
      const status: Json = JSON.parse(
        (await runCli(["gateway", "status", "--no-probe", "--json"], home.env, CLI_TIMEOUT_MS)).stdout,
      );
      expect(status.service.command.sourcePath).toBe(unitPath);
      expect((await runCli(["gateway", "uninstall", "--system"], home.env, CLI_TIMEOUT_MS)).code).toBe(0);
      expect(fs.existsSync(unitPath)).toBe(false);
    },
  );
});

/**
 * The same lifecycle against a real systemd user manager (skipped where none runs, as in CI). The
 * unit goes to the real user unit dir under a unique name; state stays in the temp home.
 */
describe("gateway install/start/stop/restart/uninstall against a real systemd user manager", () => {
  withUserSystemd(
    "(needs a running systemd user manager) installs, comes up ready, restarts, stops and uninstalls",
    async () => {
      const { home, port } = await newHome();
      const unit = `coderclaw-gateway-test-${process.pid}-${Date.now()}.service`;
      Object.assign(home.env, {
        CODERCLAW_SYSTEMD_UNIT: unit,
        XDG_CONFIG_HOME: path.join(os.homedir(), ".config"),
        XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR,
        DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS,
      });
      try {
        const install = await runCli(["gateway", "install", "--json"], home.env, 90_000);
        expect(envelope(install.stdout, "install")).toMatchObject({ ok: true, result: "installed" });
        const status: Json = JSON.parse(
          (await runCli(["gateway", "status", "--json"], home.env, CLI_TIMEOUT_MS)).stdout,
        );
        expect(status.service).toMatchObject({ loaded: true, runtime: { status: "running" } });
        expect(status.rpc).toMatchObject({ ok: true, url: `ws://127.0.0.1:${port}` });
        const restart = await runCli(["gateway", "restart"], home.env, 90_000);
        expect(restart.stdout).toContain(`Gateway is ready on ws://127.0.0.1:${port}`);
        const stop = envelope(
          (await runCli(["gateway", "stop", "--json"], home.env, CLI_TIMEOUT_MS)).stdout,
          "stop",
        );
        expect(stop).toMatchObject({ ok: true, result: "stopped" });
        const start = envelope(
          (await runCli(["gateway", "start", "--json"], home.env, 90_000)).stdout,
          "start",
        );
        expect(start).toMatchObject({ ok: true, result: "started" });
      } finally {
        const uninstall = await runCli(["gateway", "uninstall", "--json"], home.env, CLI_TIMEOUT_MS);
        expect(envelope(uninstall.stdout, "uninstall")).toMatchObject({ ok: true, result: "uninstalled" });
      }
    },
  );
});
