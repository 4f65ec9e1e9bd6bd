import path from "node:path";
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

  it("fails with the connection details, what to run and exit 1 when no gateway listens", async () => {
    const result = await runCli(["logs"], { ...home.env, CODERCLAW_GATEWAY_PORT: "1" });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr.trimEnd().split("\n")).toEqual([
      "Gateway not reachable. Is it running and accessible?",
      "nothing is listening on ws://127.0.0.1:1",
      "Gateway target: ws://127.0.0.1:1",
      "Source: local loopback",
      `Config: ${home.configPath}`,
      "Bind: loopback",
      "Hint: start one with `coderclaw gateway`, or find where one runs with `coderclaw gateway status`.",
    ]);
  });

  it("--json reports an unreachable gateway as an error record on stderr", async () => {
    const result = await runCli(["logs", "--json"], { ...home.env, CODERCLAW_GATEWAY_PORT: "1" });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(JSON.parse(result.stderr)).toEqual({
      type: "error",
      message: "Gateway not reachable. Is it running and accessible?",
      error: "nothing is listening on ws://127.0.0.1:1",
      details: {
        url: "ws://127.0.0.1:1",
        urlSource: "local loopback",
        configPath: home.configPath,
        bind: "loopback",
      },
      hint: "start one with `coderclaw gateway`, or find where one runs with `coderclaw gateway status`.",
    });
  });
});

describe("coderclaw logs --follow when the gateway goes away", () => {
  let home: TempHome;

  beforeAll(() => {
    home = makeTempHome();
    home.writeConfig(localConfig());
  });
  afterAll(async () => {
    await killSpawned();
    await killAll();
    home.cleanup();
  });

  it("fails mid-follow with the unreachable message and exit 1 on the one connection it keeps", async () => {
    const gateway = await startGateway(home.env);
    const follow = spawnCli(["logs", "--follow", "--interval", "5000"], {
      ...home.env,
      CODERCLAW_GATEWAY_PORT: String(gateway.port),
    });
    await follow.waitFor(/^Log file: /m);
    const started = Date.now();
    await gateway.stop();
    const exit = await follow.exited;
    expect(exit.code).toBe(1);
    // The 5 s poll interval is cut short: the dropped connection is reported as it happens.
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(follow.stderr()).toContain("Gateway not reachable. Is it running and accessible?");
    expect(follow.stderr()).toMatch(/^gateway closed \(1012 service restart\): /m);
    expect(follow.stderr()).toContain("Hint: run `coderclaw doctor`.");
  });
});
