import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createLogger, type GatewayLogger } from "../src/log/logger.js";

const DIST_LOGGER = path.resolve("dist/log/logger.js");

describe("the gateway log file", () => {
  let dir: string;
  let logger: GatewayLogger | null = null;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "coderclaw-logfile-"));
  });

  afterEach(async () => {
    await logger?.close();
    logger = null;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const open = (file: string, maxFileBytes: number, maxFiles: number, secrets: string[] = []) =>
    (logger = createLogger({
      file,
      level: "info",
      verbose: false,
      console: false,
      maxFileBytes,
      maxFiles,
      secrets: () => secrets,
    }));

  const records = (file: string) =>
    fs
      .readFileSync(file, "utf8")
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  it("rotates by size, newest in gateway.log, keeping maxFiles files, each private and whole", async () => {
    const file = path.join(dir, "logs", "gateway.log");
    const log = open(file, 1024, 3).child("ws");
    for (let i = 0; i < 60; i++) log.info(`line ${i} ${"x".repeat(40)}`, { n: i });
    await logger!.close();
    logger = null;
    const names = fs.readdirSync(path.dirname(file)).sort();
    expect(names).toEqual(["gateway.log", "gateway1.log", "gateway2.log"]);
    for (const name of names) {
      const full = path.join(path.dirname(file), name);
      expect(fs.statSync(full).mode & 0o777).toBe(0o600);
      expect(fs.statSync(full).size).toBeLessThanOrEqual(1024);
    }
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    // The newest lines are in gateway.log, the ones before them in gateway1.log, with none lost between.
    const newest = records(file).map((r) => r.n as number);
    const before = records(path.join(dir, "logs", "gateway1.log")).map((r) => r.n as number);
    expect(newest[newest.length - 1]).toBe(59);
    expect(before[before.length - 1]).toBe(newest[0]! - 1);
    expect(records(file)[0]).toMatchObject({
      level: "info",
      subsystem: "ws",
      message: expect.stringMatching(/^line /),
    });
  });

  it("keeps a line whose meta plain JSON cannot hold, and masks secrets", async () => {
    const file = path.join(dir, "gateway.log");
    const log = open(file, 1 << 20, 2, ["s3cret-value"]).child("test");
    const cyclic: Record<string, unknown> = { name: "loop" };
    cyclic.self = cyclic;
    log.info("cyclic meta", { cyclic, big: 12n });
    log.info("a line with s3cret-value in it", { token: "abc", note: "also s3cret-value" });
    await logger!.close();
    logger = null;
    const [first, second] = records(file);
    expect(first).toMatchObject({
      message: "cyclic meta",
      big: "12",
      cyclic: { name: "loop", self: "[Circular]" },
    });
    expect(second).toMatchObject({ message: "a line with *** in it", token: "***", note: "also ***" });
    expect(fs.readFileSync(file, "utf8")).not.toContain("s3cret-value");
  });

  it("writes the last lines of a process that exits at once", () => {
    const file = path.join(dir, "gateway.log");
    const script = `
      import { createLogger } from ${JSON.stringify(DIST_LOGGER)};
      const logger = createLogger({ file: ${JSON.stringify(file)}, level: "info", verbose: false, console: false,
        maxFileBytes: 1 << 20, maxFiles: 2, secrets: () => [] });
      logger.child("exit").error("last words");
      process.exit(3);
    `;
    const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    expect(result.status).toBe(3);
    expect(records(file)).toEqual([expect.objectContaining({ level: "error", message: "last words" })]);
  });
});

describe("the gateway's console lines", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "coderclaw-console-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const script = (lines: string) => `
    import { createLogger } from ${JSON.stringify(DIST_LOGGER)};
    const logger = createLogger({ file: ${JSON.stringify(path.join(dir, "gateway.log"))}, level: "info",
      verbose: false, console: true, maxFileBytes: 1 << 20, maxFiles: 2, secrets: () => [] });
    const log = logger.child("ws");
    ${lines}
    process.exit(0);
  `;

  it("keep their order across stdout and stderr, and reach them before the process exits", () => {
    const merged = path.join(dir, "out.txt");
    const fd = fs.openSync(merged, "w");
    const run = spawnSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        script('log.info("one"); log.warn("two"); log.info("three"); log.error("four");'),
      ],
      { stdio: ["ignore", fd, fd] },
    );
    fs.closeSync(fd);
    expect(run.status).toBe(0);
    const lines = fs.readFileSync(merged, "utf8").trim().split("\n");
    expect(lines.map((line) => line.replace(/^\d\d:\d\d:\d\d /, ""))).toEqual([
      "[ws] one",
      "[ws] warn: two",
      "[ws] three",
      "[ws] error: four",
    ]);
  });

  it("put warnings and errors on stderr, the rest on stdout", () => {
    const run = spawnSync(
      process.execPath,
      ["--input-type=module", "-e", script('log.info("fine"); log.warn("careful"); log.error("broken");')],
      { encoding: "utf8" },
    );
    expect(run.stdout).toMatch(/^\d\d:\d\d:\d\d \[ws\] fine\n$/);
    expect(run.stderr).toMatch(
      /^\d\d:\d\d:\d\d \[ws\] warn: careful\n\d\d:\d\d:\d\d \[ws\] error: broken\n$/,
    );
  });
});
