import fs from "node:fs";
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
import { WsPeer } from "./helpers/ws-peer.js";

const homes: TempHome[] = [];
const peers: WsPeer[] = [];

function newHome(extra: Record<string, unknown> = {}): TempHome {
  const home = makeTempHome();
  homes.push(home);
  home.writeConfig(localConfig({}, { providers: { echo: { type: "echo", delayMs: 30 } }, ...extra }));
  return home;
}

async function connect(url: string): Promise<WsPeer> {
  const peer = await WsPeer.open(url);
  peers.push(peer);
  expect((await peer.connect({ auth: { token: TEST_TOKEN } })).ok).toBe(true);
  return peer;
}

const words = (n: number, prefix = "w") => Array.from({ length: n }, (_, i) => `${prefix}${i}`).join(" ");

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterEach(async () => {
  peers.splice(0).forEach((peer) => peer.close());
  await killAll();
  homes.splice(0).forEach((home) => home.cleanup());
});

describe("durable runs", () => {
  it("answers a retried idempotency key with the stored result after a gateway restart, starting nothing new", async () => {
    const home = newHome();
    let gateway = await startGateway(home.env);
    let peer = await connect(gateway.url);
    const params = { message: "kept across restarts", idempotencyKey: "restart-key-1" };
    peer.send({ type: "req", id: "a1", method: "agent", params });
    await peer.until(() => peer.frames.filter((f) => f.id === "a1").length === 2, 5_000, "final");
    peer.close();
    await gateway.stop();

    gateway = await startGateway(home.env);
    peer = await connect(gateway.url);
    const retry = await peer.request("agent", params);
    expect(retry.payload).toMatchObject({
      runId: "restart-key-1",
      status: "ok",
      result: { payloads: [{ text: "kept across restarts" }] },
    });
    // A fixed window on purpose: nothing may happen in it (a new run would stream agent events).
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(peer.events("agent")).toHaveLength(0);
    await gateway.stop();
  });

  it("lets an in-flight run finish before a SIGTERM stop closes the sockets", async () => {
    const home = newHome();
    const gateway = await startGateway(home.env);
    const peer = await connect(gateway.url);
    peer.send({
      type: "req",
      id: "drain",
      method: "agent",
      params: { message: words(20), idempotencyKey: "drain-run" },
    });
    await peer.until(() => peer.events("agent").length > 0, 5_000, "run started");
    gateway.child.kill("SIGTERM");
    await peer.waitClose(8_000);
    const finalIndex = peer.frames.findIndex(
      (f, i) => f.id === "drain" && i > peer.frames.findIndex((g) => g.id === "drain"),
    );
    const shutdownIndex = peer.frames.findIndex((f) => f.event === "shutdown");
    expect(peer.frames[finalIndex]?.payload).toMatchObject({
      status: "ok",
      result: { payloads: [{ text: words(20) }] },
    });
    expect(shutdownIndex).toBeGreaterThan(finalIndex);
    expect(await gateway.exited).toEqual({ code: 0, signal: null });
  });

  it("reports an unusable state.db clearly and keeps serving instead of crash-looping", async () => {
    const home = newHome();
    fs.mkdirSync(home.stateDir, { recursive: true });
    const dbFile = path.join(home.stateDir, "state.db");
    fs.writeFileSync(dbFile, "this is not a sqlite database, not even close ".repeat(100));
    const gateway = await startGateway(home.env);
    const peer = await connect(gateway.url);
    const res = await peer.request("agent", { message: "x", idempotencyKey: "db-broken" });
    expect(res.error?.code).toBe("UNAVAILABLE");
    expect(res.error?.message).toContain(`state database ${dbFile} is unusable`);
    expect(res.error?.message).toContain("coderclaw doctor");
    const health = (await peer.request("health", { probe: true })).payload;
    expect(health.ok).toBe(false);
    expect(health.error).toContain(dbFile);
    expect(gateway.output().stdout + gateway.output().stderr).toContain(
      `state database ${dbFile} is unusable`,
    );
    await gateway.stop();
  });
});

describe("sessions CLI", () => {
  it("lists sessions and shows a transcript from state.db while the gateway is down", async () => {
    const home = newHome();
    const gateway = await startGateway(home.env);
    const peer = await connect(gateway.url);
    peer.send({
      type: "req",
      id: "s1",
      method: "agent",
      params: { message: "for the record", idempotencyKey: "cli-1", sessionKey: "agent:main:cli" },
    });
    await peer.until(() => peer.frames.filter((f) => f.id === "s1").length === 2, 5_000, "final");
    peer.close();
    await gateway.stop();

    const list = await runCli(["sessions", "list"], home.env);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(`Session store: ${path.join(home.stateDir, "state.db")}`);
    expect(list.stdout).toMatch(/- agent:main:cli \(\d+s ago, 2 messages\) · last assistant: for the record/);
    const json = JSON.parse((await runCli(["sessions", "list", "--json"], home.env)).stdout);
    expect(json.sessions[0]).toMatchObject({ key: "agent:main:cli", messageCount: 2 });

    const show = await runCli(["sessions", "show", "agent:main:cli"], home.env);
    expect(show.stdout).toMatch(/user: for the record\n.*assistant: for the record/);
    const missing = await runCli(["sessions", "show", "agent:main:nope"], home.env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('No session "agent:main:nope"');
  });

  it("names the file when there is no state database yet", async () => {
    const home = newHome();
    const result = await runCli(["sessions", "list"], home.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `No state database at ${path.join(home.stateDir, "state.db")} yet (the gateway creates it when it first starts).\n`,
    );
  });
});

describe("command provider", () => {
  it("kills the command and its grandchild when the run is aborted", async () => {
    const home = newHome();
    const script = path.join(home.home, "agent.js");
    fs.writeFileSync(
      script,
      [
        "const { spawn } = require('node:child_process');",
        "const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });",
        "console.log('pids ' + process.pid + ' ' + child.pid);",
        "setInterval(() => {}, 1000);",
      ].join("\n"),
    );
    home.writeConfig(
      localConfig(
        {},
        {
          providers: { coder: { type: "command", command: [process.execPath, script], graceMs: 500 } },
          agents: { defaults: { model: "coder", workspace: path.join(home.home, "workspace") } },
        },
      ),
    );
    const gateway = await startGateway(home.env);
    const peer = await connect(gateway.url);
    const sessionKey = "agent:main:cmd";
    await peer.request("chat.send", { sessionKey, message: "start", idempotencyKey: "cmd-run" });
    const delta = await peer.until(
      () =>
        peer
          .events("chat")
          .find((e) => e.payload.state === "delta" && /pids \d+ \d+/.test(e.payload.message.content[0].text)),
      8_000,
      "pids line",
    );
    const [, parentPid, grandchildPid] = /pids (\d+) (\d+)/
      .exec(delta.payload.message.content[0].text)!
      .map(Number);
    expect(alive(parentPid!)).toBe(true);
    expect(alive(grandchildPid!)).toBe(true);
    await peer.request("chat.abort", { sessionKey });
    await peer.until(() => peer.events("chat").find((e) => e.payload.state === "aborted"), 5_000, "aborted");
    const deadline = Date.now() + 3_000;
    while ((alive(parentPid!) || alive(grandchildPid!)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(fs.existsSync(`/proc/${parentPid}`)).toBe(false);
    expect(fs.existsSync(`/proc/${grandchildPid}`)).toBe(false);
    await gateway.stop();
  });
});
