import {
  killAll,
  localConfig,
  makeTempHome,
  startGateway,
  TEST_TOKEN,
  type GatewayProcess,
  type TempHome,
} from "./helpers/gateway-process.js";
import { WsPeer } from "./helpers/ws-peer.js";

const ITERATIONS = 3;
const words = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i}`).join(" ");

interface Acked {
  runId: string;
  sessionKey: string;
  message: string;
  /** The final reply, if it arrived before the kill. */
  final: "ok" | null;
}

let home: TempHome;
const peers: WsPeer[] = [];

async function connect(gateway: GatewayProcess): Promise<WsPeer> {
  const peer = await WsPeer.open(gateway.url);
  peers.push(peer);
  expect((await peer.connect({ auth: { token: TEST_TOKEN } })).ok).toBe(true);
  return peer;
}

beforeEach(() => {
  home = makeTempHome();
  home.writeConfig(localConfig({}, { providers: { echo: { type: "echo", delayMs: 40 } } }));
});

afterEach(async () => {
  peers.splice(0).forEach((peer) => peer.close());
  await killAll();
  home.cleanup();
});

/** What the restarted gateway says of a run acked before a kill -9: never lost, never contradicted. */
async function expectKept(peer: WsPeer, run: Acked): Promise<"ok" | "partial" | "empty"> {
  const waited = (await peer.request("agent.wait", { runId: run.runId, timeoutMs: 100 })).payload;
  const history = (
    await peer.request("chat.history", { sessionKey: run.sessionKey })
  ).payload.messages.filter((m: { runId: string }) => m.runId === run.runId);
  expect(history[0]).toMatchObject({ role: "user", state: "final", content: [{ text: run.message }] });
  if (run.final === "ok") {
    expect(waited).toMatchObject({ runId: run.runId, status: "ok" });
    expect(history[1]).toMatchObject({ role: "assistant", state: "final", content: [{ text: run.message }] });
    return "ok";
  }
  // Cut short: interrupted, with whatever text had been saved (a prefix of the reply).
  expect(waited).toMatchObject({ runId: run.runId, status: expect.stringMatching(/^(ok|error)$/) });
  if (waited.status === "error") {
    expect(waited.stopReason).toBe("interrupted");
    // A run that had produced nothing yet (still queued) has no assistant message.
    expect(history.length).toBeLessThanOrEqual(2);
    if (history[1]) {
      expect(history[1]).toMatchObject({ role: "assistant", state: "interrupted" });
      expect(run.message.startsWith(history[1].content[0].text)).toBe(true);
    }
  }
  // A retry with the same key answers from the store and starts nothing.
  const retry = await peer.request("agent", { message: run.message, idempotencyKey: run.runId });
  expect(retry.payload).toMatchObject({ runId: run.runId, status: waited.status });
  return history[1]?.content[0].text ? "partial" : "empty";
}

describe("kill -9 of the gateway during runs, in a loop", () => {
  it("loses no acked run and contradicts no answer across repeated crashes", async () => {
    const acked: Acked[] = [];
    for (let iteration = 0; iteration < ITERATIONS; iteration += 1) {
      const gateway = await startGateway(home.env);
      const peer = await connect(gateway);
      // Everything acked before the earlier crashes is still there.
      for (const run of acked) await expectKept(peer, run);

      const started: Acked[] = [];
      const send = (id: string, n: number, sessionKey: string) => {
        const run: Acked = {
          runId: `crash-${iteration}-${id}`,
          sessionKey,
          message: words(n, id),
          final: null,
        };
        peer.send({
          type: "req",
          id: run.runId,
          method: "agent",
          params: { message: run.message, idempotencyKey: run.runId, sessionKey },
        });
        started.push(run);
      };
      send("short", 3, `agent:main:short-${iteration}`);
      send("long", 60, `agent:main:long-${iteration}`);
      send("queued", 5, `agent:main:long-${iteration}`); // waits in the long run's session lane
      send("other", 40, "agent:main:shared");
      for (const run of started) {
        const ack = await peer.response(run.runId);
        expect(ack.payload).toMatchObject({ runId: run.runId, status: "accepted" });
      }
      const finals = () =>
        started.filter((run) => peer.frames.filter((f) => f.id === run.runId).length === 2);
      await peer.until(() => finals().some((run) => run.runId.endsWith("short")), 5_000, "short run final");
      // Past the first partial save of the long runs on some iterations, before it on others.
      await new Promise((resolve) => setTimeout(resolve, 400 + iteration * 500));
      for (const run of finals()) {
        const final = peer.frames.filter((f) => f.id === run.runId)[1]!;
        expect(final.payload.status).toBe("ok");
        run.final = "ok";
      }
      gateway.child.kill("SIGKILL");
      await gateway.exited;
      peer.close();
      acked.push(...started);
    }
    const gateway = await startGateway(home.env);
    const peer = await connect(gateway);
    const outcomes = new Set<string>();
    for (const run of acked) outcomes.add(await expectKept(peer, run));
    // The loop did cover each case: finished before the kill, cut short with saved text, and without.
    expect([...outcomes].sort()).toEqual(["empty", "ok", "partial"]);
    expect(peer.events("agent")).toEqual([]);
    await gateway.stop();
  }, 30_000);
});
