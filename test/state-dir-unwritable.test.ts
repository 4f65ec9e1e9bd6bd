import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { killAll, localConfig, makeTempHome, runCli, type TempHome } from "./helpers/gateway-process.js";

/** Whether this machine lets the test mount a read-only tmpfs (root in a namespace that allows it). */
function canMountReadOnly(): boolean {
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), "coderclaw-ro-probe-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", probe], { stdio: "ignore" });
    execFileSync("umount", [probe], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
}

const READ_ONLY_MOUNT = canMountReadOnly();
if (!READ_ONLY_MOUNT) {
  console.warn("state-dir-unwritable: no read-only tmpfs mount possible here; that case is skipped");
}

describe("a state dir that cannot be written: one clear line and a non-zero exit", () => {
  let home: TempHome;
  let configPath: string;
  beforeEach(() => {
    home = makeTempHome();
    configPath = path.join(home.home, "config", "coderclaw.json");
    fs.mkdirSync(path.dirname(configPath), { recursive: true, mode: 0o700 });
    fs.writeFileSync(configPath, JSON.stringify(localConfig()), { mode: 0o600 });
  });
  afterEach(async () => {
    await killAll();
    home.cleanup();
  });

  async function startWith(stateDir: string, extraEnv: NodeJS.ProcessEnv = {}) {
    const env = {
      ...home.env,
      CODERCLAW_STATE_DIR: stateDir,
      CODERCLAW_CONFIG_PATH: configPath,
      ...extraEnv,
    };
    return runCli(["gateway", "--port", "0"], env);
  }

  function expectOneClearLine(stderr: string, expected: string) {
    const lines = stderr.trim().split("\n");
    expect(lines).toEqual([expected]);
    expect(stderr).not.toMatch(/\n\s+at /);
  }

  (READ_ONLY_MOUNT ? it : it.skip)("names a read-only state dir and says what to do", async () => {
    const stateDir = path.join(home.home, "ro-state");
    fs.mkdirSync(stateDir);
    execFileSync("mount", ["-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", stateDir]);
    try {
      const result = await startWith(stateDir);
      expect(result.code).toBe(1);
      expectOneClearLine(
        result.stderr,
        `Gateway failed to start: the state dir ${stateDir} is not writable (EROFS: read-only file system). Make it writable by this user, or set CODERCLAW_STATE_DIR to a writable directory.`,
      );
      const configInside = path.join(stateDir, "coderclaw.json");
      const set = await runCli(["config", "set", "gateway.port", "19999"], {
        ...home.env,
        CODERCLAW_STATE_DIR: stateDir,
        CODERCLAW_CONFIG_PATH: configInside,
      });
      expect(set.code).not.toBe(0);
      expect(set.stderr.replace(/\s+/g, " ")).toContain(
        `cannot write ${configInside} (EROFS: read-only file system). Make ${stateDir} writable by this user`,
      );
      expect(set.stderr).not.toMatch(/\n\s+at /);
    } finally {
      execFileSync("umount", [stateDir]);
    }
  });

  it("names a state dir that lies under a file", async () => {
    const blocker = path.join(home.home, "not-a-dir");
    fs.writeFileSync(blocker, "");
    const stateDir = path.join(blocker, "state");
    const result = await startWith(stateDir);
    expect(result.code).toBe(1);
    expectOneClearLine(
      result.stderr,
      `Gateway failed to start: the state dir ${stateDir} is not writable (ENOTDIR: not a directory). Make it writable by this user, or set CODERCLAW_STATE_DIR to a writable directory.`,
    );
  });

  it("names a configured log dir that cannot be written and points at logging.file", async () => {
    const blocker = path.join(home.home, "not-a-dir");
    fs.writeFileSync(blocker, "");
    const logFile = path.join(blocker, "logs", "gateway.log");
    fs.writeFileSync(configPath, JSON.stringify(localConfig({}, { logging: { file: logFile } })), {
      mode: 0o600,
    });
    const result = await startWith(path.join(home.home, "state"));
    expect(result.code).toBe(1);
    expectOneClearLine(
      result.stderr,
      `Gateway failed to start: the log dir ${path.dirname(logFile)} is not writable (ENOTDIR: not a directory). Make it writable by this user, or set logging.file to a writable path.`,
    );
  });
});
