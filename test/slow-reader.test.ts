import fs from "node:fs";
import path from "node:path";
import { StateStore } from "../src/store/state-store.js";
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

const SESSION_KEY = "agent:main:big";
const KiB = 1024;
const MiB = 1024 * KiB;
/** Upstream's bounds on a chat.history reply. */
const HISTORY_MAX_BYTES = 6 * MiB;
const OVERSIZED_PLACEHOLDER = "[chat.history omitted: message too large]";

/** A transcript written through the store the gateway uses: `runs` exchanges of `bytes` each way. */
function writeTranscript(stateDir: string, runs: number, bytes: number, oversized: number[] = []): void {
  const store = StateStore.open(path.join(stateDir, "state.db"));
  try {
    const session = store.ensureSession(SESSION_KEY, "main", "big-session", 1);
    for (let i = 0; i < runs; i += 1) {
      const size = oversized.includes(i) ? 300 * KiB : bytes;
      const runId = `run-${i}`;
      const text = `${i}:`.padEnd(size, "x");
      store.createRun({
        runId,
        dedupeKey: `agent:${runId}`,
        kind: "agent",
        sessionKey: SESSION_KEY,
        sessionId: session.sessionId,
        agentId: "main",
        acceptedAt: 10 + i,
        userText: text,
      });
      store.finishRun(
        { runId, sessionId: session.sessionId, sessionKey: SESSION_KEY },
        {
          status: "ok",
          startedAt: 10 + i,
          stopReason: null,
          text,
          error: null,
          endedAt: 11 + i,
          messageState: "final",
        },
      );
    }
  } finally {
    store.close();
  }
}

/** The gateway's resident memory now and at its peak, in bytes (Linux /proc). */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * KiB;
  return { rss: field("VmRSS"), peak: field("VmHWM") };
}

type RawSocket = { pause(): void; resume(): void };
const rawSocket = (peer: WsPeer) => (peer.socket as unknown as { _socket: RawSocket })._socket;

let home: TempHome;
let gateway: GatewayProcess | undefined;
const peers: WsPeer[] = [];

async function connect(): Promise<WsPeer> {
  const peer = await WsPeer.open(gateway!.url, { maxPayload: 256 * MiB });
  peers.push(peer);
  expect((await peer.connect({ auth: { token: TEST_TOKEN } })).ok).toBe(true);
  return peer;
}

beforeEach(() => {
  home = makeTempHome();
  home.writeConfig(localConfig());
  fs.mkdirSync(home.stateDir, { recursive: true });
});

afterEach(async () => {
  peers.splice(0).forEach((peer) => peer.close());
  await gateway?.stop();
  gateway = undefined;
  await killAll();
  home.cleanup();
});

describe("chat.history bounds", () => {
  it("caps the reply at 6 MiB, newest messages kept, and replaces a message over 128 KiB by a placeholder", async () => {
    writeTranscript(home.stateDir, 60, 100 * KiB, [58]);
    gateway = await startGateway(home.env);
    const peer = await connect();
    const res = await peer.request("chat.history", { sessionKey: SESSION_KEY, limit: 1000 });
    expect(res.ok).toBe(true);
    const messages = res.payload.messages as Array<{ runId: string; content: [{ text: string }] }>;
    expect(Buffer.byteLength(JSON.stringify(messages))).toBeLessThanOrEqual(HISTORY_MAX_BYTES);
    // 120 messages of ~100 KiB do not fit: the oldest ones are left out, the newest one is last.
    expect(messages.length).toBeGreaterThan(50);
    expect(messages.length).toBeLessThan(120);
    expect(messages.at(-1)).toMatchObject({ role: "assistant", runId: "run-59" });
    expect(messages.at(-1)!.content[0].text).toMatch(/^59:x+$/);
    const oversized = messages.filter((message) => message.runId === "run-58");
    expect(oversized).toHaveLength(2);
    for (const message of oversized) {
      expect(message).toMatchObject({
        content: [{ type: "text", text: OVERSIZED_PLACEHOLDER }],
        truncated: true,
        state: "final",
      });
    }
  });
});

/** Pauses `reader`'s socket and asks for large replies until the gateway logs a slow consumer (or gives up). */
async function hammerWhilePaused(reader: WsPeer, pid: number, baseline: number) {
  rawSocket(reader).pause();
  const deadline = Date.now() + 15_000;
  let sent = 0;
  let peak = baseline;
  while (!slowConsumerLogged() && Date.now() < deadline) {
    for (let i = 0; i < 4; i += 1) {
      reader.send({
        type: "req",
        id: `h${++sent}`,
        method: "chat.history",
        params: { sessionKey: SESSION_KEY, limit: 1000 },
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    peak = memoryOf(pid).peak;
    // Without a limit this grows by gigabytes: stop before the machine suffers.
    if (peak - baseline > 1_500 * MiB) break;
  }
  // Read again at once, without parsing what piled up, so a close frame can arrive within the close grace.
  reader.socket.removeAllListeners("message");
  rawSocket(reader).resume();
  const closed = await reader.waitClose(10_000);
  return { sent, closed, peak: Math.max(peak, memoryOf(pid).peak) };
}

const logged = () => gateway!.output().stdout + gateway!.output().stderr;
const slowConsumerLogged = () => /closing slow consumer/.test(logged());

describe("a client that stops reading", () => {
  it("is cut off, with a log line, once maxBufferedBytes of replies are unread: gateway memory stays bounded", async () => {
    writeTranscript(home.stateDir, 60, 100 * KiB);
    gateway = await startGateway(home.env);
    const pid = gateway.child.pid!;
    const observer = await connect();
    const reader = await connect();
    const before = memoryOf(pid);

    const { sent, closed, peak } = await hammerWhilePaused(reader, pid, before.peak);
    const growth = peak - before.rss;
    process.stdout.write(
      `slow reader: ${sent} chat.history requests, gateway RSS ${(before.rss / MiB).toFixed(0)} MiB before, peak ${(peak / MiB).toFixed(0)} MiB (+${(growth / MiB).toFixed(0)} MiB)\n`,
    );
    expect(logged()).toMatch(
      /\[ws\] warn: closing slow consumer: \d+ bytes of replies unread \(maxBufferedBytes 52428800\)/,
    );
    // 1008 if it drains 50 MiB within the close grace, else cut off (1006): gone either way.
    expect([1006, 1008]).toContain(closed.code);
    // maxBufferedBytes (50 MiB) of unread replies, plus what encoding them costs on the way.
    expect(growth).toBeLessThan(400 * MiB);
    // The gateway goes on serving everyone else.
    expect((await observer.request("health")).ok).toBe(true);
  }, 40_000);

  it("sees close 1008 'slow consumer' when it reads again (a small maxBufferedBytes drains within the close grace)", async () => {
    home.writeConfig(localConfig({ maxBufferedBytes: 4 * MiB }));
    writeTranscript(home.stateDir, 60, 100 * KiB);
    gateway = await startGateway(home.env);
    const reader = await connect();
    const { closed } = await hammerWhilePaused(reader, gateway.child.pid!, memoryOf(gateway.child.pid!).peak);
    expect(logged()).toMatch(
      /closing slow consumer: \d+ bytes of replies unread \(maxBufferedBytes 4194304\)/,
    );
    expect(closed).toEqual({ code: 1008, reason: "slow consumer" });
  }, 40_000);
});
