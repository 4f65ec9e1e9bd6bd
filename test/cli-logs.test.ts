import fs from "node:fs";
import path from "node:path";
import { formatLogLine, parseLogLine } from "../src/cli/log-line.js";
import { killSpawned, spawnCli } from "./helpers/cli-process.js";
import {
  killAll,
  localConfig,
  makeTempHome,
  runCli,
  startGateway,
  type GatewayProcess,
  type TempHome,
} from "./helpers/gateway-process.js";
import { freePort } from "./helpers/start-tools.js";
import { readyOn } from "./helpers/wait-for.js";
import { WsPeer } from "./helpers/ws-peer.js";

const ISO_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (error|warn|info|debug|trace) \S+ .+$/;

describe("coderclaw logs", () => {
  let home: TempHome;
  let gateway: GatewayProcess;
  let env: NodeJS.ProcessEnv;
  const peers: WsPeer[] = [];

  /** A connect with a wrong token: the gateway logs `connect rejected: ...` at info level. */
  const causeRejectedConnect = async () => {
    const peer = await WsPeer.open(gateway.url);
    peers.push(peer);
    const res = await peer.connect({ auth: { token: "follow-marker-wrong-token" } });
    expect(res.ok).toBe(false);
  };

  beforeAll(async () => {
    home = makeTempHome();
    home.writeConfig(localConfig());
    gateway = await startGateway(home.env);
    env = { ...home.env, CODERCLAW_GATEWAY_PORT: String(gateway.port) };
  });
  afterEach(async () => {
    peers.splice(0).forEach((peer) => peer.close());
    await killSpawned();
  });
  afterAll(async () => {
    await gateway?.stop();
    await killAll();
    home.cleanup();
  });

  it("prints `Log file: <path>` once, then each log line with its ISO time when stdout is not a TTY", async () => {
    const result = await runCli(["logs"], env);
    expect(result.code).toBe(0);
    const [first, ...lines] = result.stdout.trimEnd().split("\n");
    expect(first).toBe(`Log file: ${path.join(home.stateDir, "logs", "gateway.log")}`);
    expect(lines.length).toBeGreaterThan(0);
    lines.forEach((line) => expect(line).toMatch(ISO_LINE));
    expect(lines).toEqual(
      expect.arrayContaining([expect.stringMatching(/Z info gateway listening on ws:\/\/127\.0\.0\.1:\d+/)]),
    );
  });

  it("--limit keeps only the newest lines, without a truncation notice", async () => {
    const result = await runCli(["logs", "--limit", "1"], env);
    expect(result).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^Log file: .+\n[^\n]+\n$/),
      stderr: "",
    });
  });

  it("notes on stderr when the backlog was cut to --max-bytes", async () => {
    const result = await runCli(["logs", "--max-bytes", "200"], env);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("Log tail truncated (increase --max-bytes).");
  });

  it("--json emits a meta line, then log lines, each one a JSON object", async () => {
    const result = await runCli(["logs", "--json"], env);
    expect(result.code).toBe(0);
    const records = result.stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(records[0]).toEqual({
      type: "meta",
      file: path.join(home.stateDir, "logs", "gateway.log"),
      cursor: expect.any(Number),
      size: expect.any(Number),
    });
    const logs = records.slice(1);
    expect(logs.length).toBeGreaterThan(0);
    for (const record of logs) {
      expect(["log", "raw", "notice"]).toContain(record.type);
    }
    expect(logs).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: "log",
          level: "info",
          subsystem: "gateway",
          message: expect.stringMatching(/^listening on ws:\/\//),
          time: expect.stringMatching(/Z$/),
        }),
      ]),
    );
  });

  it("--follow prints a line the gateway writes after the tail started, and stops quietly on SIGINT", async () => {
    const follow = spawnCli(["logs", "--follow", "--interval", "100"], env);
    await follow.waitFor(/^Log file: /m);
    expect(follow.stdout()).not.toContain("follow-marker");
    await causeRejectedConnect();
    await follow.waitFor(/info ws connect rejected: unauthorized: .+$/m);
    follow.child.kill("SIGINT");
    expect(await follow.exited).toEqual({ code: 0, signal: null });
    expect(follow.stderr()).not.toContain("Gateway not reachable");
  });

  it("--follow --json streams new lines as JSON too", async () => {
    const follow = spawnCli(["logs", "--follow", "--json", "--interval", "100", "--limit", "1"], env);
    await follow.waitFor(/"type":"meta"/);
    await causeRejectedConnect();
    await follow.waitFor(/connect rejected/);
    follow.child.kill("SIGTERM");
    expect((await follow.exited).code).toBe(0);
    const records = follow
      .stdout()
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(records.filter((record) => record.type === "meta")).toHaveLength(1);
    expect(records).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: "log", message: expect.stringMatching(/^connect rejected/) }),
      ]),
    );
  });

  it("stops with the EPIPE notice and exit 0 when its stdout is closed", async () => {
    const follow = spawnCli(["logs", "--follow", "--interval", "100"], env);
    await follow.waitFor(/^Log file: /m);
    follow.child.stdout?.destroy();
    await causeRejectedConnect();
    expect(await follow.exited).toEqual({ code: 0, signal: null });
    expect(follow.stderr()).toContain("coderclaw logs: output stdout closed (EPIPE). Stopping tail.");
  });

  it("fails with the connection details, what to run and exit 1 when no gateway listens and no log file exists", async () => {
    const fresh = makeTempHome();
    fresh.writeConfig(localConfig());
    const result = await runCli(["logs"], { ...fresh.env, CODERCLAW_GATEWAY_PORT: "1" });
    fresh.cleanup();
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr.trimEnd().split("\n")).toEqual([
      "Gateway not reachable. Is it running and accessible?",
      "nothing is listening on ws://127.0.0.1:1",
      "Gateway target: ws://127.0.0.1:1",
      "Source: local loopback",
      `Config: ${fresh.configPath}`,
      "Bind: loopback",
      "Hint: start one with `coderclaw gateway`, or find where one runs with `coderclaw gateway status`.",
    ]);
  });

  it("--json reports an unreachable gateway as an error record on stderr", async () => {
    const fresh = makeTempHome();
    fresh.writeConfig(localConfig());
    const result = await runCli(["logs", "--json"], { ...fresh.env, CODERCLAW_GATEWAY_PORT: "1" });
    fresh.cleanup();
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(JSON.parse(result.stderr)).toEqual({
      type: "error",
      message: "Gateway not reachable. Is it running and accessible?",
      error: "nothing is listening on ws://127.0.0.1:1",
      details: {
        url: "ws://127.0.0.1:1",
        urlSource: "local loopback",
        configPath: fresh.configPath,
        bind: "loopback",
      },
      hint: "start one with `coderclaw gateway`, or find where one runs with `coderclaw gateway status`.",
    });
  });
});

describe("coderclaw logs when the gateway restarts or is down", () => {
  const homes: TempHome[] = [];
  const newHome = (config: Record<string, unknown>) => {
    const home = makeTempHome();
    homes.push(home);
    home.writeConfig(config);
    return home;
  };
  const logFileOf = (home: TempHome) => path.join(home.stateDir, "logs", "gateway.log");
  /** The lines of the log file, as `logs` prints them when stdout is not a TTY. */
  const fileLines = (home: TempHome) =>
    fs
      .readFileSync(logFileOf(home), "utf8")
      .trimEnd()
      .split("\n")
      .map((raw) => formatLogLine(parseLogLine(raw)!, { mode: "plain", color: false, localTime: false }));
  const printedLines = (stdout: string) => stdout.split("\n").filter((line) => ISO_LINE.test(line));

  afterEach(async () => {
    await killSpawned();
    await killAll();
    homes.splice(0).forEach((home) => home.cleanup());
  });

  it("--follow rides through a config restart: one notice on stderr, then the new instance's lines, none twice", async () => {
    const home = newHome(localConfig({ reload: { mode: "hybrid", debounceMs: 50 } }));
    const gateway = await startGateway(home.env);
    const follow = spawnCli(["logs", "--follow", "--interval", "100"], {
      ...home.env,
      CODERCLAW_GATEWAY_PORT: String(gateway.port),
    });
    await follow.waitFor(/^Log file: /m);
    // logging.maxFiles is restart-class: the gateway restarts in-process, on the same port.
    home.writeConfig(
      localConfig({ reload: { mode: "hybrid", debounceMs: 50 } }, { logging: { maxFiles: 3 } }),
    );
    await follow.waitFor(
      /^Gateway restarting; following .+gateway\.log until it is back\.$/m,
      "stderr",
      10_000,
    );
    await follow.waitFor(/gateway restarting \(config change \(logging\.maxFiles\)\)/);
    // The new instance's start, then a line it writes once the follower is back on the gateway.
    await follow.waitFor(/(gateway ready[\s\S]*){2}/, "stdout", 10_000);
    await readyOn(gateway.port);
    const peer = await WsPeer.open(gateway.url);
    expect((await peer.connect({ auth: { token: "after-restart-wrong-token" } })).ok).toBe(false);
    peer.close();
    await follow.waitFor(/connect rejected: /);
    follow.child.kill("SIGTERM");
    expect(await follow.exited).toEqual({ code: 0, signal: null });
    expect(follow.stderr().trimEnd().split("\n")).toEqual([
      `Gateway restarting; following ${logFileOf(home)} until it is back.`,
    ]);
    // Every line of the file exactly once, in order: nothing lost, nothing repeated across the restart.
    const printed = printedLines(follow.stdout());
    expect(printed).toEqual(fileLines(home).slice(0, printed.length));
    expect(printed.length).toBeGreaterThanOrEqual(fileLines(home).length - 2);
    await gateway.stop();
  });

  it("--follow rides through a stop: it reads the file meanwhile, then resumes over RPC when a gateway is back", async () => {
    const port = await freePort();
    const home = newHome(localConfig({ port }));
    const first = await startGateway(home.env, ["gateway"]);
    const follow = spawnCli(["logs", "--follow", "--interval", "100"], home.env);
    await follow.waitFor(/^Log file: /m);
    await first.stop();
    await follow.waitFor(
      /^Gateway went away \(1012 service restart: gateway stopping\); following /m,
      "stderr",
    );
    // The last lines of the stopped gateway come from the file.
    await follow.waitFor(/info gateway draining: gateway stopping/);
    const second = await startGateway(home.env, ["gateway"]);
    const peer = await WsPeer.open(second.url);
    expect((await peer.connect({ auth: { token: "second-instance-wrong-token" } })).ok).toBe(false);
    peer.close();
    await follow.waitFor(/connect rejected: /);
    follow.child.kill("SIGINT");
    expect(await follow.exited).toEqual({ code: 0, signal: null });
    expect(follow.stderr().match(/^Gateway /gm)).toHaveLength(1);
    const printed = printedLines(follow.stdout());
    expect(printed).toEqual(fileLines(home).slice(0, printed.length));
    await second.stop();
  });

  it("without --follow, reads the log file itself when no gateway listens, and says so on stderr", async () => {
    const home = newHome(localConfig());
    const gateway = await startGateway(home.env);
    await gateway.stop();
    const result = await runCli(["logs"], { ...home.env, CODERCLAW_GATEWAY_PORT: String(gateway.port) });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      `Gateway not reachable at ws://127.0.0.1:${gateway.port}; reading its log file directly.\n`,
    );
    const [header, ...lines] = result.stdout.trimEnd().split("\n");
    expect(header).toBe(`Log file: ${logFileOf(home)}`);
    expect(lines).toEqual(fileLines(home));
    expect(lines.join("\n")).toMatch(/info gateway draining: gateway stopping/);
  });

  it("--follow ends with exit 0 on SIGTERM while it waits for the gateway", async () => {
    const home = newHome(localConfig());
    const earlier = await startGateway(home.env);
    await earlier.stop();
    const follow = spawnCli(["logs", "--follow", "--interval", "100"], {
      ...home.env,
      CODERCLAW_GATEWAY_PORT: String(earlier.port),
    });
    await follow.waitFor(/^Gateway not reachable at .+; following .+ until it is back\.$/m, "stderr", 15_000);
    await follow.waitFor(/draining: gateway stopping/);
    const stopped = Date.now();
    follow.child.kill("SIGTERM");
    expect(await follow.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - stopped).toBeLessThan(3_000);
  });

  it("with --follow and no gateway yet, follows the file and switches to the gateway once it starts", async () => {
    const port = await freePort();
    const home = newHome(localConfig({ port }));
    const earlier = await startGateway(home.env, ["gateway"]);
    await earlier.stop();
    const follow = spawnCli(["logs", "--follow", "--interval", "100"], home.env);
    await follow.waitFor(
      /^Gateway not reachable at ws:\/\/127\.0\.0\.1:\d+; following .+ until it is back\.$/m,
      "stderr",
      15_000,
    );
    await follow.waitFor(/draining: gateway stopping/);
    const gateway = await startGateway(home.env, ["gateway"]);
    const peer = await WsPeer.open(gateway.url);
    expect((await peer.connect({ auth: { token: "late-start-wrong-token" } })).ok).toBe(false);
    peer.close();
    await follow.waitFor(/connect rejected: /);
    follow.child.kill("SIGTERM");
    expect(await follow.exited).toEqual({ code: 0, signal: null });
    const printed = printedLines(follow.stdout());
    expect(printed).toEqual(fileLines(home).slice(0, printed.length));
    await gateway.stop();
  });
});
