import fs from "node:fs";
import path from "node:path";
import {
  killAll,
  localConfig,
  makeTempHome,
  runCli,
  startGateway,
  type TempHome,
} from "./helpers/gateway-process.js";
import { freePort, runDoctorCli, writeJson } from "./helpers/doctor-fixtures.js";

// Each case runs the real CLI several times (and sometimes a gateway).
jest.setTimeout(60_000);

describe("coderclaw doctor: state dir and state.db", () => {
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

  describe("a corrupt state.db", () => {
    const dbFile = () => path.join(home.stateDir, "state.db");
    const corrupt = () => {
      home.writeConfig(localConfig({ port }));
      fs.writeFileSync(dbFile(), "this is not an SQLite database, just bytes ".repeat(40));
      fs.writeFileSync(`${dbFile()}-wal`, "stale write-ahead log");
    };

    it("is an error naming the file, and is left in place without --repair --yes", async () => {
      corrupt();
      for (const args of [[], ["--repair", "--non-interactive"]]) {
        const run = await runDoctorCli(args, home.env);
        expect(run.lines).toContain(`✗ state.db is corrupt: ${dbFile()}`);
        expect(run.lines).toContain("  - file is not a database");
      }
      expect(fs.readdirSync(home.stateDir).filter((name) => name.includes(".corrupt-"))).toEqual([]);
    });

    it("is moved aside (with its WAL) by --repair --yes, and a gateway then starts with a fresh store", async () => {
      corrupt();
      const original = fs.readFileSync(dbFile());
      const run = await runDoctorCli(["--repair", "--yes"], home.env);
      expect(run.stdout).toMatch(/^ {4}Moved .+\/state\.db to .+\/state\.db\.corrupt-[\dTZ-]+$/m);
      expect(fs.existsSync(dbFile())).toBe(false);
      expect(fs.existsSync(`${dbFile()}-wal`)).toBe(false);
      const aside = fs
        .readdirSync(home.stateDir)
        .filter((name) => name.startsWith("state.db.corrupt-"))
        .sort();
      const moved = aside[0] as string;
      expect(aside).toContain(`${moved}-wal`);
      expect(fs.readFileSync(path.join(home.stateDir, moved))).toEqual(original);
      expect(fs.readFileSync(path.join(home.stateDir, `${moved}-wal`), "utf8")).toBe("stale write-ahead log");

      const gateway = await startGateway(home.env);
      try {
        const env = { ...home.env, CODERCLAW_GATEWAY_PORT: String(gateway.port) };
        const health = await runCli(["health", "--json"], env);
        expect(health.code).toBe(0);
        expect(JSON.parse(health.stdout)).toMatchObject({ ok: true, sessions: { path: dbFile() } });
        const again = await runDoctorCli([], env);
        expect(again.lines).toContain(`✓ state.db integrity ok: ${dbFile()}`);
      } finally {
        await gateway.stop();
      }
    });

    it("is not moved while a gateway runs on it", async () => {
      corrupt();
      const gateway = await startGateway(home.env);
      try {
        const env = { ...home.env, CODERCLAW_GATEWAY_PORT: String(gateway.port) };
        const run = await runDoctorCli(["--repair", "--yes"], env);
        expect(run.stdout).toContain(
          `    a gateway is running (pid ${gateway.child.pid}) with this config; stop it first (coderclaw gateway stop)`,
        );
        expect(fs.existsSync(dbFile())).toBe(true);
      } finally {
        await gateway.stop();
      }
    });
  });

  it("a healthy state.db passes the integrity check", async () => {
    home.writeConfig(localConfig({ port }));
    const gateway = await startGateway(home.env);
    await gateway.stop();
    const run = await runDoctorCli([], home.env);
    expect(run.lines).toContain(`✓ state.db integrity ok: ${path.join(home.stateDir, "state.db")}`);
  });

  describe("a missing state dir", () => {
    const stateDir = () => path.join(home.home, "state-elsewhere");
    const env = () => ({
      ...home.env,
      CODERCLAW_STATE_DIR: stateDir(),
      CODERCLAW_CONFIG_PATH: path.join(home.home, "config", "coderclaw.json"),
    });

    it("is reported and created with mode 0700 by --repair --yes", async () => {
      writeJson(path.join(home.home, "config", "coderclaw.json"), localConfig({ port }));
      const report = await runDoctorCli([], env());
      expect(report.lines).toContain(`✗ State dir missing: ${stateDir()}`);
      expect(report.lines).toContain(`  Fix: Create ${stateDir()} (mode 0700)`);
      expect(fs.existsSync(stateDir())).toBe(false);

      const run = await runDoctorCli(["--repair", "--yes"], env());
      expect(run.stdout).toContain(`    Created ${stateDir()}`);
      expect(fs.statSync(stateDir()).mode & 0o777).toBe(0o700);
      expect((await runDoctorCli([], env())).lines).toContain(`✓ State dir OK: ${stateDir()}`);
    });
  });
});
