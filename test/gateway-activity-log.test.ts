import fs from "node:fs";
import path from "node:path";
import {
  killAll,
  localConfig,
  makeTempHome,
  runCli,
  startGateway,
  TEST_TOKEN,
  type GatewayProcess,
  type TempHome,
} from "./helpers/gateway-process.js";
import { waitFor } from "./helpers/wait-for.js";
import { WsPeer } from "./helpers/ws-peer.js";

// A provider that always fails (its command exits 3), for the `broken` agent.
const CONFIG = localConfig(
  {},
  {
    providers: { failing: { type: "command", command: [process.execPath, "-e", "process.exit(3)"] } },
    agents: {
      list: [
        { id: "main", default: true },
        { id: "broken", model: "failing" },
      ],
    },
  },
);

interface Started {
  home: TempHome;
  gateway: GatewayProcess;
  env: NodeJS.ProcessEnv;
  logFile: string;
}

const started: Started[] = [];

async function start(args: string[], config: Record<string, unknown> = CONFIG): Promise<Started> {
  const home = makeTempHome();
  home.writeConfig(config);
  try {
    const gateway = await startGateway(home.env, ["gateway", "--port", "0", ...args]);
    const entry = {
      home,
      gateway,
      env: { ...home.env, CODERCLAW_GATEWAY_PORT: String(gateway.port) },
      logFile: path.join(home.stateDir, "logs", "gateway.log"),
    };
    started.push(entry);
    return entry;
  } catch (error) {
    home.cleanup();
    throw error;
  }
}

/** Waits for a console line of the gateway (stdout, or stderr for warnings and errors). */
async function consoleLine(gateway: GatewayProcess, pattern: RegExp, stream: "stdout" | "stderr" = "stdout") {
  return waitFor(
    `${pattern} on the gateway's ${stream}`,
    () => pattern.exec(gateway.output()[stream])?.[0],
    8_000,
  );
}

function fileRecords(logFile: string): Array<Record<string, unknown>> {
  if (!fs.existsSync(logFile)) return [];
  return fs
    .readFileSync(logFile, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function fileRecord(logFile: string, matches: (record: Record<string, unknown>) => boolean) {
  return waitFor("a matching log file record", () => fileRecords(logFile).find(matches), 5_000);
}

const agentCall = (env: NodeJS.ProcessEnv, params: Record<string, unknown>) =>
  runCli(["gateway", "call", "agent", "--expect-final", "--json", "--params", JSON.stringify(params)], env);

afterAll(async () => {
  for (const { gateway, home } of started.splice(0)) {
    await gateway.stop();
    home.cleanup();
  }
  await killAll();
});

describe("the gateway's activity log", () => {
  let verbose: Started;
  beforeAll(async () => {
    verbose = await start(["--verbose"]);
  });

  it("logs a client's connect and disconnect at info: client, mode, version, address, close code, time connected", async () => {
    const result = await runCli(["health"], verbose.env);
    expect(result.code).toBe(0);
    await consoleLine(
      verbose.gateway,
      /^\d\d:\d\d:\d\d \[ws\] client connected: cli \(mode cli, version cli\) from 127\.0\.0\.1 conn=[0-9a-f]{8}$/m,
    );
    await consoleLine(
      verbose.gateway,
      /^\d\d:\d\d:\d\d \[ws\] client disconnected: cli from 127\.0\.0\.1 after \d+ms, closed: 1000 normal closure conn=[0-9a-f]{8}$/m,
    );
    // The file holds the same facts as fields.
    const connected = await fileRecord(verbose.logFile, (r) =>
      String(r.message).startsWith("client connected"),
    );
    expect(connected).toMatchObject({
      level: "info",
      subsystem: "ws",
      clientId: "cli",
      mode: "cli",
      version: "cli",
      remote: "127.0.0.1",
    });
    const disconnected = await fileRecord(verbose.logFile, (r) =>
      String(r.message).startsWith("client disconnected"),
    );
    expect(disconnected).toMatchObject({ closeCode: 1000, durationMs: expect.any(Number) });
  });

  it("with --verbose, shows each RPC at debug (method, duration, outcome) and a compact frame trace", async () => {
    const result = await runCli(["gateway", "call", "no.such.method"], verbose.env);
    expect(result.code).toBe(1);
    await consoleLine(verbose.gateway, /^\S+ \[rpc\] debug: health ok \d+ms \(cli conn=[0-9a-f]{8}\)$/m);
    await consoleLine(
      verbose.gateway,
      /^\S+ \[rpc\] debug: no\.such\.method error INVALID_REQUEST \d+ms \(cli conn=[0-9a-f]{8}\)$/m,
    );
    await consoleLine(
      verbose.gateway,
      /^\S+ \[ws\] debug: in req health #[0-9a-f]{8} \d+ B conn=[0-9a-f]{8}$/m,
    );
    await consoleLine(
      verbose.gateway,
      /^\S+ \[ws\] debug: out res health #[0-9a-f]{8} ok \d+ms \d+ B conn=[0-9a-f]{8}$/m,
    );
    // The file keeps its configured level (info): the debug lines stay on the console.
    expect(fileRecords(verbose.logFile).filter((r) => r.level === "debug")).toEqual([]);
  });

  it("logs a run's start (run id, agent, session) and end (outcome, duration) at info", async () => {
    const result = await agentCall(verbose.env, {
      message: "hello activity",
      idempotencyKey: "activity-run-1",
    });
    expect(result.code).toBe(0);
    await consoleLine(
      verbose.gateway,
      /^\S+ \[agent\] run started: activity-run-1 agent=main session=agent:main:main$/m,
    );
    await consoleLine(verbose.gateway, /^\S+ \[agent\] run ended: activity-run-1 ok after \d+ms$/m);
    expect(
      await fileRecord(verbose.logFile, (r) => r.runId === "activity-run-1" && r.outcome === "ok"),
    ).toMatchObject({
      level: "info",
      subsystem: "agent",
      durationMs: expect.any(Number),
    });
  });

  it("logs a provider failure at warn, with the provider and the error", async () => {
    const result = await agentCall(verbose.env, {
      message: "fail please",
      agentId: "broken",
      idempotencyKey: "activity-run-2",
    });
    expect(result.code).toBe(1);
    await consoleLine(verbose.gateway, /^\S+ \[agent\] run ended: activity-run-2 error after \d+ms: .+$/m);
    const warning = await consoleLine(
      verbose.gateway,
      /^\S+ \[agent\] warn: provider failing failed in run activity-run-2: .+$/m,
      "stderr",
    );
    expect(warning).toMatch(/exit|code 3/i);
    expect(
      await fileRecord(verbose.logFile, (r) => r.level === "warn" && r.runId === "activity-run-2"),
    ).toMatchObject({ provider: "failing", agentId: "broken" });
  });
});

describe("the gateway without --verbose", () => {
  it("keeps connects at info and leaves RPC lines and the frame trace out", async () => {
    const quiet = await start([]);
    await runCli(["health"], quiet.env);
    await consoleLine(quiet.gateway, /\[ws\] client disconnected: cli /);
    const { stdout } = quiet.gateway.output();
    expect(stdout).toMatch(/\[ws\] client connected: cli /);
    expect(stdout).not.toMatch(/\[rpc\]|debug:| in req /);
  });

  it("writes RPC lines to the file when logging.level is debug, still not to the console", async () => {
    const debugFile = await start([], { ...CONFIG, logging: { level: "debug" } });
    await runCli(["health"], debugFile.env);
    expect(
      await fileRecord(debugFile.logFile, (r) => r.subsystem === "rpc" && r.method === "health"),
    ).toMatchObject({ level: "debug", ok: true, durationMs: expect.any(Number), connId: expect.any(String) });
    await consoleLine(debugFile.gateway, /\[ws\] client disconnected: cli /);
    expect(debugFile.gateway.output().stdout).not.toMatch(/\[rpc\]|debug:/);
  });
});

describe("how a disconnect is told", () => {
  it("names a peer cut off for not answering pings, and the gateway's own close on stop", async () => {
    const gateway = await start([], { ...CONFIG, gateway: { ...CONFIG.gateway, tickIntervalMs: 500 } });
    const silent = await WsPeer.open(gateway.gateway.url, { autoPong: false });
    try {
      expect((await silent.connect({ auth: { token: TEST_TOKEN } })).ok).toBe(true);
      await consoleLine(
        gateway.gateway,
        /^\S+ \[ws\] client disconnected: test from 127\.0\.0\.1 after \d+(ms|\.\ds), terminated \(peer unresponsive\) conn=\S+$/m,
      );
    } finally {
      silent.close();
    }
    const staying = await WsPeer.open(gateway.gateway.url);
    try {
      expect((await staying.connect({ auth: { token: TEST_TOKEN } })).ok).toBe(true);
      await gateway.gateway.stop();
    } finally {
      staying.close();
    }
    expect(gateway.gateway.output().stdout).toMatch(
      /\[ws\] client disconnected: test from 127\.0\.0\.1 after \S+, closed by the gateway: 1012 service restart "gateway stopping" conn=/,
    );
  });
});

describe("--ws-log", () => {
  it("compact (or --compact): one summary line per frame in and out, at info, without payloads", async () => {
    for (const args of [["--ws-log", "compact"], ["--compact"]]) {
      const compact = await start(args);
      await runCli(["health"], compact.env);
      await consoleLine(compact.gateway, /^\S+ \[ws\] in req connect #[0-9a-f]{8} \d+ B conn=[0-9a-f]{8}$/m);
      await consoleLine(compact.gateway, /^\S+ \[ws\] out event connect\.challenge \d+ B conn=[0-9a-f]{8}$/m);
      await consoleLine(compact.gateway, /^\S+ \[ws\] out res health #[0-9a-f]{8} ok \d+ms \d+ B conn=/m);
      const trace = compact.gateway
        .output()
        .stdout.split("\n")
        .filter((line) => / \[ws\] (in|out) /.test(line));
      trace.forEach((line) => expect(line).not.toContain("{"));
      // In the log file too, since the operator asked for it.
      await fileRecord(compact.logFile, (r) => String(r.message).startsWith("in req health"));
    }
  });

  it("full: frames with payloads, secrets masked, every line bounded", async () => {
    const full = await start(["--ws-log", "full"]);
    const peer = await WsPeer.open(full.gateway.url);
    try {
      const hello = await peer.connect({ auth: { token: TEST_TOKEN, password: "not-a-real-password-42" } });
      expect(hello.ok).toBe(true);
      const huge = "x".repeat(200_000);
      const reply = await peer.request("health", { padding: huge });
      expect(reply.ok).toBe(false);
    } finally {
      peer.close();
    }
    const connectLine = await consoleLine(
      full.gateway,
      /^\S+ \[ws\] in req connect #\S+ \d+ B conn=\S+ \{.*$/m,
    );
    expect(connectLine).toContain('"auth":{"token":"***","password":"***"}');
    await consoleLine(full.gateway, /\[ws\] out res health #\S+ error INVALID_REQUEST \d+ms/);
    await consoleLine(full.gateway, /\[ws\] client disconnected/);
    const everything = [
      full.gateway.output().stdout,
      full.gateway.output().stderr,
      fs.readFileSync(full.logFile, "utf8"),
    ].join("\n");
    expect(everything).not.toContain(TEST_TOKEN);
    expect(everything).not.toContain("not-a-real-password-42");
    const longest = Math.max(...everything.split("\n").map((line) => line.length));
    expect(longest).toBeLessThan(4_000);
  });

  it("refuses an unknown style with the upstream message and exit 1", async () => {
    const home = makeTempHome();
    try {
      home.writeConfig(CONFIG);
      const result = await runCli(["gateway", "--port", "0", "--ws-log", "loud"], home.env);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('Invalid --ws-log (use "auto", "full", "compact")');
    } finally {
      home.cleanup();
    }
  });
});
