import { GatewayClient, type AgentText, type EventFrameIn } from "../src/client/gateway-client.js";
import { useGateway } from "./helpers/gateway-fixture.js";
import { localConfig, TEST_TOKEN } from "./helpers/gateway-process.js";
import type { WsPeer } from "./helpers/ws-peer.js";

const WORDS = 1_000;
const reply = Array.from({ length: WORDS }, (_, i) => `word${i}`).join(" ");

/** Bytes of `agent` event frames as they came off the wire. */
function countAgentBytes(peer: WsPeer): () => number {
  let bytes = 0;
  peer.socket.on("message", (data: Buffer) => {
    if (data.includes('"event":"agent"')) bytes += data.length;
  });
  return () => bytes;
}

const assistantEvents = (peer: WsPeer, runId: string) =>
  peer.events("agent").filter((e) => e.payload.runId === runId && e.payload.stream === "assistant");

describe('agent events with and without caps: ["agent-delta"]', () => {
  const fixture = useGateway(localConfig({}, { providers: { echo: { type: "echo", delayMs: 0 } } }));

  it("sends deltas only to the client that asked, the whole text so far to the other, for the same run", async () => {
    const deltas = await fixture.connected({ caps: ["agent-delta"] });
    const whole = await fixture.connected();
    const deltaBytes = countAgentBytes(deltas);
    const wholeBytes = countAgentBytes(whole);

    whole.send({
      type: "req",
      id: "run",
      method: "agent",
      params: { message: reply, idempotencyKey: "delta-1" },
    });
    const final = await whole.until(
      () => whole.frames.filter((f) => f.id === "run").at(1),
      10_000,
      "final reply",
    );
    expect(final.payload.result.payloads[0].text).toBe(reply);
    const ended = (peer: WsPeer) =>
      peer.events("agent").some((e) => e.payload.runId === "delta-1" && e.payload.data.phase === "end");
    await deltas.until(() => ended(deltas), 5_000, "lifecycle end (delta client)");
    await whole.until(() => ended(whole), 5_000, "lifecycle end (whole-text client)");

    const fromDeltas = assistantEvents(deltas, "delta-1");
    const fromWhole = assistantEvents(whole, "delta-1");
    // Same events, numbered alike; only the data differs.
    expect(fromDeltas.map((e) => e.payload.seq)).toEqual(fromWhole.map((e) => e.payload.seq));
    expect(fromDeltas.length).toBe(WORDS);
    for (const event of fromDeltas) {
      expect(Object.keys(event.payload.data)).toEqual(["delta"]);
      expect(event.payload).toMatchObject({
        runId: "delta-1",
        stream: "assistant",
        sessionKey: "agent:main:main",
      });
    }
    expect(fromDeltas.map((e) => e.payload.data.delta).join("")).toBe(reply);
    expect(fromWhole.at(-1)!.payload.data).toEqual({ text: reply, delta: `word${WORDS - 1}` });

    // Whole text: the square of the reply; deltas: the reply plus a constant per event.
    process.stdout.write(
      `agent events for a ${reply.length}-byte reply: ${wholeBytes()} bytes with the whole text, ${deltaBytes()} with agent-delta\n`,
    );
    expect(wholeBytes()).toBeGreaterThan(reply.length * 100);
    expect(deltaBytes()).toBeLessThan(reply.length + WORDS * 200);
  });

  it("GatewayClient asks for deltas and rebuilds the whole text of each run", async () => {
    const client = new GatewayClient({ url: fixture.url, token: TEST_TOKEN });
    const texts: AgentText[] = [];
    const assistantData: unknown[] = [];
    client.on("agentText", (text) => texts.push(text));
    client.on("event", (frame: EventFrameIn) => {
      const payload = frame.payload as { stream?: string; data?: unknown };
      if (frame.event === "agent" && payload.stream === "assistant") assistantData.push(payload.data);
    });
    try {
      await client.connect();
      const final = await client.request<{ result: { payloads: Array<{ text: string }> } }>(
        "agent",
        { message: reply, idempotencyKey: "delta-2" },
        { expectFinal: true },
      );
      expect(final.result.payloads[0]?.text).toBe(reply);
      expect(assistantData.length).toBe(WORDS);
      expect(assistantData.every((data) => !("text" in (data as object)))).toBe(true);
      expect(texts.at(-1)).toEqual({ runId: "delta-2", text: reply, delta: `word${WORDS - 1}` });
      expect(texts.map((text) => text.delta).join("")).toBe(reply);
    } finally {
      await client.close();
    }
  });

  it("reaches operators only: a node connected meanwhile receives no agent or chat event and no seq gap", async () => {
    const node = await fixture.connected({ role: "node", caps: ["agent-delta"] });
    const operator = await fixture.connected({ caps: ["agent-delta"] });
    operator.send({
      type: "req",
      id: "run",
      method: "agent",
      params: { message: "hello there", idempotencyKey: "operators-only-1" },
    });
    await operator.until(() => operator.frames.filter((f) => f.id === "run").at(1), 10_000, "final reply");
    await operator.until(
      () => operator.events("agent").some((e) => e.payload.data.phase === "end"),
      5_000,
      "lifecycle end",
    );
    expect(operator.events("chat").length).toBeGreaterThan(0);
    // A presence change after the run reaches both: the node was connected throughout.
    await operator.request("system-event", { text: "after the run", instanceId: "after-run" });
    await node.until(() => node.events("presence").length > 0, 3_000, "presence on the node");
    expect(node.events("agent")).toEqual([]);
    expect(node.events("chat")).toEqual([]);
    const seqs = node.frames.filter((f) => f.type === "event" && f.seq !== undefined).map((f) => f.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  });
});
