import path from "node:path";
import {
  killAll,
  localConfig,
  makeTempHome,
  startGateway,
  TEST_TOKEN,
  type GatewayProcess,
  type TempHome,
} from "./helpers/gateway-process.js";
import { mountSmallDisk, type SmallDisk } from "./helpers/small-disk.js";
import { WsPeer, type Frame } from "./helpers/ws-peer.js";

const MiB = 1024 * 1024;
const probe = mountSmallDisk(MiB);
const mountable = !("unavailable" in probe);
if ("unavailable" in probe) {
  process.stdout.write(`skipping the full-disk fault tests: ${probe.unavailable}\n`);
} else {
  probe.unmount();
}

// Four words 150 ms apart: the run ends about half a second after its ack.
const MESSAGE = "saved before the disk filled";
const config = localConfig(
  { http: { endpoints: { chatCompletions: { enabled: true } } } },
  { providers: { echo: { type: "echo", delayMs: 150 } } },
);

let home: TempHome;
let disk: SmallDisk;
let gateway: GatewayProcess | undefined;
const peers: WsPeer[] = [];

function gatewayEnv(): NodeJS.ProcessEnv {
  return {
    ...home.env,
    CODERCLAW_STATE_DIR: path.join(disk.dir, "state"),
    CODERCLAW_CONFIG_PATH: home.configPath,
  };
}

async function connect(): Promise<WsPeer> {
  const peer = await WsPeer.open(gateway!.url);
  peers.push(peer);
  expect((await peer.connect({ auth: { token: TEST_TOKEN } })).ok).toBe(true);
  return peer;
}

function postCompletion(stream: boolean): Promise<Response> {
  return fetch(`${gateway!.url.replace(/^ws:/, "http:")}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${TEST_TOKEN}` },
    body: JSON.stringify({ messages: [{ role: "user", content: MESSAGE }], stream }),
  });
}

const responses = (peer: WsPeer, id: string) => peer.frames.filter((f) => f.type === "res" && f.id === id);

(mountable ? describe : describe.skip)("a disk that fills up after the ack", () => {
  beforeEach(() => {
    home = makeTempHome();
    home.writeConfig(config);
    disk = mountSmallDisk(16 * MiB) as SmallDisk;
  });

  afterEach(async () => {
    peers.splice(0).forEach((peer) => peer.close());
    await gateway?.stop();
    gateway = undefined;
    await killAll();
    disk.unmount();
    home.cleanup();
  });

  it("answers every run whose end could not be saved with a retryable error, and a restart says the same", async () => {
    gateway = await startGateway(gatewayEnv());
    const peer = await connect();
    peer.send({
      type: "req",
      id: "agent-run",
      method: "agent",
      params: { message: MESSAGE, idempotencyKey: "full-agent", sessionKey: "agent:main:a" },
    });
    const chatAck = await peer.request("chat.send", {
      sessionKey: "agent:main:c",
      message: MESSAGE,
      idempotencyKey: "full-chat",
    });
    expect(chatAck.payload).toMatchObject({ status: "started" });
    const whole = postCompletion(false);
    const streamed = postCompletion(true);
    const ack = await peer.response("agent-run");
    expect(ack.payload).toMatchObject({ status: "accepted" });
    // Every run has streamed something: all were accepted, and none has ended.
    await peer.until(
      () =>
        new Set(
          peer
            .events("agent")
            .filter((e) => e.payload.stream === "assistant")
            .map((e) => e.payload.runId),
        ).size >= 4,
      5_000,
      "four streaming runs",
    );

    expect(disk.fill()).toBeGreaterThan(0);

    const final = await peer.until(() => responses(peer, "agent-run")[1], 10_000, "agent final");
    expect(final.ok).toBe(false);
    expect(final.error).toMatchObject({ code: "UNAVAILABLE", retryable: true });
    expect(final.error!.message).toMatch(/could not be saved \(database or disk is full\); retry/);
    expect(final.payload).toMatchObject({ runId: "full-agent", status: "error", stopReason: "interrupted" });

    const chatEnd = await peer.until(
      () => peer.events("chat").find((e) => e.payload.runId === "full-chat" && e.payload.state !== "delta"),
      5_000,
      "chat end",
    );
    expect(chatEnd.payload.state).toBe("error");
    expect(chatEnd.payload.errorMessage).toMatch(/database or disk is full/);
    expect(
      peer
        .events("chat")
        .some((e: Frame) => e.payload.state === "final" && e.payload.message?.role === "assistant"),
    ).toBe(false);

    const wholeReply = await whole;
    expect(wholeReply.status).toBe(503);
    expect(wholeReply.headers.get("retry-after")).toBe("5");
    const wholeBody = (await wholeReply.json()) as { error: { message: string } };
    expect(wholeBody.error.message).toMatch(/database or disk is full/);
    const stream = await (await streamed).text();
    expect(stream).toMatch(
      /data: \{"error":\{"message":"interrupted: the end of the run could not be saved[^\n]*\n\ndata: \[DONE\]\n\n$/,
    );

    // The same process, asked again: the same answer, never `ok`.
    const retry = await peer.request("agent", { message: MESSAGE, idempotencyKey: "full-agent" });
    expect(retry).toMatchObject({ ok: false, error: { code: "UNAVAILABLE", retryable: true } });
    const waited = await peer.request("agent.wait", { runId: "full-chat", timeoutMs: 100 });
    expect(waited.payload).toMatchObject({ status: "error", stopReason: "interrupted" });
    const output = gateway.output().stdout + gateway.output().stderr;
    expect(output).toMatch(
      /could not save the end of run full-agent: database or disk is full; it ends as interrupted/,
    );

    // Health and readiness say why, while the disk is full.
    const health = (await peer.request("health", { probe: true })).payload;
    expect(health.ok).toBe(false);
    expect(health.error).toMatch(
      /disk full: \d+ bytes free in .*state; state\.db needs room|cannot be written/,
    );
    const readyz = await fetch(`${gateway.url.replace(/^ws:/, "http:")}/readyz`);
    expect(readyz.status).toBe(503);
    expect(await readyz.json()).toMatchObject({ ready: false, state: "ready", reason: health.error });

    // After a restart with room again, the store says what the clients were told.
    // Room again: the next run goes through, and the refused ends are saved as they were told.
    disk.free();
    peer.send({
      type: "req",
      id: "after",
      method: "agent",
      params: { message: "room again", idempotencyKey: "after" },
    });
    const afterFinal = await peer.until(() => responses(peer, "after")[1], 5_000, "final after freeing");
    expect(afterFinal).toMatchObject({ ok: true, payload: { status: "ok" } });
    const log = gateway.output().stdout + gateway.output().stderr;
    expect(log).toMatch(
      /saved the end of run full-agent \(interrupted\), which the store had refused earlier/,
    );
    peer.close();
    await gateway.stop();
    gateway = await startGateway(gatewayEnv());
    const after = await connect();
    const again = await after.request("agent", { message: MESSAGE, idempotencyKey: "full-agent" });
    expect(again).toMatchObject({
      ok: false,
      payload: { status: "error", stopReason: "interrupted" },
      error: { code: "UNAVAILABLE", retryable: true },
    });
    for (const runId of ["full-agent", "full-chat"]) {
      const row = await after.request("agent.wait", { runId, timeoutMs: 100 });
      expect(row.payload).toMatchObject({ status: "error", stopReason: "interrupted" });
    }
    expect((await fetch(`${gateway.url.replace(/^ws:/, "http:")}/readyz`)).status).toBe(200);
    expect((await after.request("health", { probe: true })).payload).toMatchObject({ ok: true });
    for (const sessionKey of ["agent:main:a", "agent:main:c"]) {
      const history = (await after.request("chat.history", { sessionKey })).payload.messages;
      expect(history[0]).toMatchObject({ role: "user", state: "final" });
      expect(
        history.filter((m: { role: string; state: string }) => m.role === "assistant" && m.state === "final"),
      ).toEqual([]);
    }
  }, 30_000);
});
