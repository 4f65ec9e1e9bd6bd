import fs from "node:fs";
import JSON5 from "json5";
import { killAll, localConfig, makeTempHome, TEST_TOKEN, type TempHome } from "./helpers/gateway-process.js";
import { freePort, runDoctorCli } from "./helpers/doctor-fixtures.js";

// Each case runs the real CLI several times (and sometimes a gateway).
jest.setTimeout(60_000);

describe("coderclaw doctor: config, gateway.mode and auth token", () => {
  let home: TempHome;
  let port: number;
  const readConfig = () => JSON5.parse(fs.readFileSync(home.configPath, "utf8"));

  beforeEach(async () => {
    home = makeTempHome();
    port = await freePort();
  });
  afterEach(async () => {
    await killAll();
    home.cleanup();
  });

  describe("an invalid config", () => {
    const broken = '{ gateway: { mode: "local", port: "not-a-port", bogus: true } }';
    const writeBrokenWithBackup = () => {
      fs.mkdirSync(home.stateDir, { recursive: true, mode: 0o700 });
      fs.writeFileSync(home.configPath, broken, { mode: 0o600 });
      fs.writeFileSync(`${home.configPath}.bak`, JSON.stringify(localConfig({ port })), { mode: 0o600 });
    };

    it("is reported with the file and every problem with its path", async () => {
      writeBrokenWithBackup();
      const run = await runDoctorCli([], home.env);
      const at = run.lines.indexOf("✗ Config invalid");
      expect(at).toBeGreaterThanOrEqual(0);
      expect(run.lines[at + 1]).toBe(`  File: ${home.configPath}`);
      expect(run.lines).toContain("  - gateway.bogus: unknown key");
      expect(run.lines.some((line) => /^ {2}- gateway\.port: .+/.test(line))).toBe(true);
      expect(run.lines).toContain(
        `  Fix: Restore ${home.configPath} from ${home.configPath}.bak (the broken file is kept as ${home.configPath}.broken-<timestamp>)`,
      );
      expect(run.stdout).toContain('Run "coderclaw doctor --fix" to apply changes.');
    });

    it("is restored from its valid .bak with --repair --yes, keeping the broken file aside", async () => {
      writeBrokenWithBackup();
      const run = await runDoctorCli(["--repair", "--yes"], home.env);
      expect(run.stdout).toContain(`    Restored ${home.configPath} from ${home.configPath}.bak`);
      expect(readConfig()).toEqual(localConfig({ port }));
      const aside = fs.readdirSync(home.stateDir).filter((name) => name.startsWith("coderclaw.json.broken-"));
      expect(aside).toHaveLength(1);
      expect(fs.readFileSync(`${home.stateDir}/${aside[0]}`, "utf8")).toBe(broken);
      expect(run.lines).toContain("✓ gateway.mode is local");
    });

    it("--fix is the same flag as --repair", async () => {
      writeBrokenWithBackup();
      await runDoctorCli(["--fix", "--yes"], home.env);
      expect(readConfig()).toEqual(localConfig({ port }));
    });

    it("is left untouched by --repair --non-interactive without --yes, saying what it skipped; exit 1", async () => {
      writeBrokenWithBackup();
      const run = await runDoctorCli(["--repair", "--non-interactive"], home.env);
      expect(run.code).toBe(1);
      expect(run.stdout).toContain(`  Would repair: Restore ${home.configPath} from ${home.configPath}.bak`);
      expect(run.stdout).toContain("    Skipped (--non-interactive; pass --yes to apply).");
      expect(run.stdout).toContain(
        '1 repair(s) skipped; rerun with "coderclaw doctor --repair --yes" to apply.',
      );
      expect(fs.readFileSync(home.configPath, "utf8")).toBe(broken);
      expect(fs.readdirSync(home.stateDir).some((name) => name.includes(".broken-"))).toBe(false);
    });

    it("the hint's `doctor --fix` repairs when nobody can be asked (no terminal), and the exit code follows: 1, then 0", async () => {
      writeBrokenWithBackup();
      const before = await runDoctorCli([], home.env);
      expect(before.code).toBe(1);
      expect(before.lines).toContain("✗ Config invalid");
      expect(before.lines.at(-2)).toBe("Unresolved: 1 problem(s) marked ✗ (exit code 1).");
      expect(before.stdout).toContain('Run "coderclaw doctor --fix" to apply changes.');
      const fixed = await runDoctorCli(["--fix"], home.env);
      expect(fixed.code).toBe(0);
      expect(fixed.stdout).toContain(`    Restored ${home.configPath} from ${home.configPath}.bak`);
      expect(fixed.stdout).not.toContain("Unresolved:");
      expect(readConfig()).toEqual(localConfig({ port }));
      const after = await runDoctorCli([], home.env);
      expect(after.code).toBe(0);
      expect(after.stdout).not.toContain("✗");
    });

    it("without a valid backup is left as it is, with how to fix it by hand", async () => {
      fs.mkdirSync(home.stateDir, { recursive: true });
      fs.writeFileSync(home.configPath, broken);
      const run = await runDoctorCli(["--repair", "--yes"], home.env);
      expect(run.lines).toContain(`  No backup at ${home.configPath}.bak.`);
      expect(run.lines).toContain(
        `  Fix by hand: edit ${home.configPath} to correct the problems above, then run coderclaw doctor again.`,
      );
      expect(fs.readFileSync(home.configPath, "utf8")).toBe(broken);
    });
  });

  describe("gateway.mode", () => {
    it("unset is an error, and --repair --yes sets it to local", async () => {
      home.writeConfig({ gateway: { port, auth: { token: TEST_TOKEN } } });
      const report = await runDoctorCli([], home.env);
      expect(report.lines).toContain("✗ gateway.mode is unset; gateway start will be blocked.");
      expect(readConfig().gateway.mode).toBeUndefined();

      const run = await runDoctorCli(["--repair", "--yes"], home.env);
      expect(run.stdout).toContain('    Set gateway.mode = "local"');
      expect(readConfig()).toEqual({ gateway: { port, auth: { token: TEST_TOKEN }, mode: "local" } });
      expect((await runDoctorCli([], home.env)).lines).toContain("✓ gateway.mode is local");
    });

    it("remote with a remote URL is a warning, not an error, and is not changed", async () => {
      // A loopback URL nothing listens on: the health probe must not leave the machine.
      const url = `ws://127.0.0.1:${await freePort()}`;
      const remote = { gateway: { mode: "remote", port, remote: { url, token: "t" } } };
      home.writeConfig(remote);
      const run = await runDoctorCli(["--repair", "--yes"], home.env);
      expect(run.lines).toContain(
        `! gateway.mode is remote (gateway.remote.url ${url}); this host does not run a gateway.`,
      );
      expect(run.stdout).not.toMatch(/^✗ gateway\.mode/m);
      expect(readConfig()).toEqual(remote);
    });
  });

  describe("gateway auth", () => {
    it("no token or password is reported; --generate-gateway-token writes a 48-hex gateway.auth.token", async () => {
      home.writeConfig({ gateway: { mode: "local", port } });
      const report = await runDoctorCli([], home.env);
      expect(report.lines).toContain(
        "! Gateway auth is off or missing a token. Token auth is now the recommended default (including loopback).",
      );
      expect(readConfig().gateway.auth).toBeUndefined();

      const run = await runDoctorCli(["--generate-gateway-token"], home.env);
      expect(run.stdout).toContain("    Wrote gateway.auth.token (48 hex characters)");
      expect(readConfig().gateway.auth.token).toMatch(/^[0-9a-f]{48}$/);
      expect(run.stdout).not.toContain(readConfig().gateway.auth.token);
      expect((await runDoctorCli([], home.env)).lines).toContain("✓ Gateway auth: token (config)");
    });

    it("--repair --yes generates the token too", async () => {
      home.writeConfig({ gateway: { mode: "local", port } });
      await runDoctorCli(["--repair", "--yes"], home.env);
      expect(readConfig().gateway.auth.token).toMatch(/^[0-9a-f]{48}$/);
    });

    it("trusted-proxy mode needs no token, but does need its proxy settings", async () => {
      const proxied = { mode: "trusted-proxy", trustedProxy: { userHeader: "x-forwarded-user" } };
      home.writeConfig({ gateway: { mode: "local", port, bind: "lan", auth: proxied } });
      const missing = await runDoctorCli(["--repair", "--yes"], home.env);
      expect(missing.lines).toContain(
        "✗ Gateway auth is set to trusted-proxy, but the proxy is not configured.",
      );
      expect(readConfig().gateway.auth.token).toBeUndefined();

      home.writeConfig({
        gateway: { mode: "local", port, bind: "lan", trustedProxies: ["10.0.0.2"], auth: proxied },
      });
      expect((await runDoctorCli([], home.env)).lines).toContain("✓ Gateway auth: trusted-proxy (10.0.0.2)");
    });

    it("a gateway bound beyond loopback without a rate limit is warned about; --repair turns the limiter on", async () => {
      home.writeConfig({ gateway: { mode: "local", port, bind: "lan", auth: { token: TEST_TOKEN } } });
      const warning =
        "! The gateway listens beyond loopback (bind=lan) with no gateway.auth.rateLimit: nothing stops guessing at its secret.";
      expect((await runDoctorCli([], home.env)).lines).toContain(warning);
      await runDoctorCli(["--repair", "--yes"], home.env);
      expect(readConfig().gateway.auth).toEqual({ token: TEST_TOKEN, rateLimit: {} });
      expect((await runDoctorCli([], home.env)).lines).not.toContain(warning);
    });

    it("a token in CODERCLAW_GATEWAY_TOKEN counts as configured", async () => {
      home.writeConfig({ gateway: { mode: "local", port } });
      const run = await runDoctorCli([], { ...home.env, CODERCLAW_GATEWAY_TOKEN: TEST_TOKEN });
      expect(run.lines).toContain("✓ Gateway auth: token (env)");
    });
  });

  it("--json prints {ok, findings, repaired} on stdout and nothing else", async () => {
    home.writeConfig({ gateway: { port, auth: { token: TEST_TOKEN } } });
    const run = await runDoctorCli(["--json", "--repair", "--yes"], home.env);
    const report = JSON.parse(run.stdout);
    expect(report.ok).toBe(true);
    expect(report.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          id: "gateway.mode",
          level: "error",
          message: "gateway.mode is unset; gateway start will be blocked.",
          fix: { description: `Set gateway.mode to "local" in ${home.configPath}` },
          repaired: true,
        }),
        expect.objectContaining({ id: "config.valid", level: "ok" }),
      ]),
    );
    expect(report.repaired).toEqual([expect.objectContaining({ id: "gateway.mode", outcome: "repaired" })]);
  });
});
