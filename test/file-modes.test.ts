import fs from "node:fs";
import path from "node:path";
import { runDoctorCli } from "./helpers/doctor-fixtures.js";
import {
  killAll,
  localConfig,
  makeTempHome,
  startGateway,
  TEST_TOKEN,
  type TempHome,
} from "./helpers/gateway-process.js";
import { WsPeer } from "./helpers/ws-peer.js";

const NOISY =
  "for (let i = 0; i < 100; i++) console.error('noise ' + i + ' ' + 'x'.repeat(100)); console.log('done')";

const mode = (file: string) => fs.statSync(file).mode & 0o777;

/** Every file and dir under `dir` (and `dir` itself) with its mode. */
function modesUnder(dir: string): Array<{ file: string; mode: number; isDir: boolean }> {
  const stat = fs.statSync(dir);
  const own = { file: dir, mode: stat.mode & 0o777, isDir: stat.isDirectory() };
  if (!stat.isDirectory()) return [own];
  return [own, ...fs.readdirSync(dir).flatMap((name) => modesUnder(path.join(dir, name)))];
}

describe("state files are created private (files 0600, dirs 0700)", () => {
  let home: TempHome;
  let stateDir: string;
  let configPath: string;
  let env: NodeJS.ProcessEnv;
  beforeEach(() => {
    home = makeTempHome();
    stateDir = path.join(home.home, "state");
    configPath = path.join(home.home, "config", "coderclaw.json");
    env = { ...home.env, CODERCLAW_STATE_DIR: stateDir, CODERCLAW_CONFIG_PATH: configPath };
  });
  afterEach(async () => {
    await killAll();
    home.cleanup();
  });

  it("the gateway creates the state dir, state.db with its -wal/-shm, logs (rotated too), the audit file and .bak privately", async () => {
    fs.mkdirSync(path.dirname(configPath), { recursive: true });
    fs.writeFileSync(
      configPath,
      JSON.stringify(
        localConfig(
          { reload: { mode: "off" } },
          {
            // A command whose stderr (logged at debug) is enough to rotate the 4 KiB log file.
            providers: { noisy: { type: "command", command: [process.execPath, "-e", NOISY] } },
            agents: { defaults: { model: "noisy" } },
            logging: { level: "debug", maxFileBytes: 4096, maxFiles: 3 },
          },
        ),
      ),
      { mode: 0o644 },
    );
    const gateway = await startGateway(env);
    try {
      const peer = await WsPeer.open(gateway.url);
      expect((await peer.connect({ auth: { token: TEST_TOKEN }, scopes: ["operator.admin"] })).ok).toBe(true);
      const ack = await peer.request("agent", {
        message: "persist me",
        idempotencyKey: `modes-${process.pid}`,
      });
      expect(ack.ok).toBe(true);
      const { hash } = (await peer.request("config.get")).payload as { hash: string };
      expect(
        (await peer.request("config.set", { path: "logging.maxFiles", value: 4, baseHash: hash })).ok,
      ).toBe(true);
      await peer.until(
        () => peer.frames.filter((f) => f.type === "res" && f.id === ack.id).length >= 2,
        10_000,
        "the run's final answer",
      );
      const logDir = path.join(stateDir, "logs");
      const rotated = () => fs.readdirSync(logDir).some((name) => /^gateway\d+\.log$/.test(name));
      for (const deadline = Date.now() + 5_000; !rotated() && Date.now() < deadline;) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(fs.readdirSync(logDir)).toEqual(expect.arrayContaining(["gateway.log", "config-audit.jsonl"]));
      expect(fs.readdirSync(logDir).some((name) => /^gateway\d+\.log$/.test(name))).toBe(true);
      expect(fs.readdirSync(stateDir)).toEqual(
        expect.arrayContaining(["state.db", "state.db-wal", "state.db-shm"]),
      );
      peer.close();

      const loose = modesUnder(stateDir).filter((entry) => entry.mode !== (entry.isDir ? 0o700 : 0o600));
      expect(loose).toEqual([]);
      expect(mode(configPath)).toBe(0o600);
      expect(mode(`${configPath}.bak`)).toBe(0o600);
    } finally {
      await gateway.stop();
    }
  });

  it("doctor warns about looser modes and --repair tightens them", async () => {
    fs.mkdirSync(path.join(stateDir, "logs"), { recursive: true, mode: 0o755 });
    fs.chmodSync(stateDir, 0o755);
    fs.mkdirSync(path.dirname(configPath), { recursive: true });
    fs.writeFileSync(configPath, JSON.stringify(localConfig({ port: 9 })), { mode: 0o644 });
    fs.writeFileSync(path.join(stateDir, "logs", "gateway.log"), "", { mode: 0o640 });

    const report = await runDoctorCli(["--non-interactive"], env);
    expect(report.stdout).toContain("4 state path(s) can be read by group or others");
    expect(report.stdout).toContain(`${stateDir} is 0755 (want 0700)`);
    expect(report.stdout).toContain(`${configPath} is 0644 (want 0600)`);
    expect(report.stdout).toContain(`${path.join(stateDir, "logs", "gateway.log")} is 0640 (want 0600)`);
    expect(mode(configPath)).toBe(0o644);

    const repaired = await runDoctorCli(["--repair", "--yes"], env);
    expect(repaired.stdout).toContain(`${configPath}: 0644 → 0600`);
    expect(mode(stateDir)).toBe(0o700);
    expect(mode(path.join(stateDir, "logs"))).toBe(0o700);
    expect(mode(configPath)).toBe(0o600);
    expect(mode(path.join(stateDir, "logs", "gateway.log"))).toBe(0o600);
    expect((await runDoctorCli([], env)).stdout).toContain("State files are private (files 0600, dirs 0700)");
  });
});
