import fs from "node:fs";
import path from "node:path";
import { useGateway } from "./helpers/gateway-fixture.js";
import { localConfig } from "./helpers/gateway-process.js";
import type { Frame, WsPeer } from "./helpers/ws-peer.js";

let nextKey = 0;
const key = (label: string) => `${label}-${process.pid}-${++nextKey}`;

function agentEvents(peer: WsPeer, runId: string): Frame[] {
  return peer.events("agent").filter((e) => e.payload.runId === runId);
}

function chatEvents(peer: WsPeer, runId: string): Frame[] {
  return peer.events("chat").filter((e) => e.payload.runId === runId);
}

/** Sends `agent` and returns both responses (ack and final) for that request id. */
async function agentRun(peer: WsPeer, params: Record<string, unknown>, id = key("req")) {
  peer.send({ type: "req", id, method: "agent", params });
  const ack = await peer.until(() => peer.frames.find((f) => f.type === "res" && f.id === id), 5_000, "ack");
  const final = await peer.until(
    () => peer.frames.filter((f) => f.type === "res" && f.id === id)[1],
    15_000,
    `final of ${id}`,
  );
  return { ack, final, id };
}

describe("agent runs (echo provider)", () => {
  const fixture = useGateway(
    localConfig(
      {},
      {
        providers: { echo: { type: "echo", delayMs: 40 } },
        agents: { list: [{ id: "main", default: true }, { id: "helper" }] },
      },
    ),
  );
  const connected = () => fixture.connected();

  it("answers agent twice on one id: accepted at once, then ok with the result, agent events in between", async () => {
    const peer = await connected();
    const idempotencyKey = key("run");
    const { ack, final, id } = await agentRun(peer, { message: "hello brave new world", idempotencyKey });
    expect(ack.ok).toBe(true);
    expect(ack.payload).toEqual({
      runId: idempotencyKey,
      status: "accepted",
      acceptedAt: expect.any(Number),
    });
    expect(final.ok).toBe(true);
    expect(final.payload).toMatchObject({
      runId: idempotencyKey,
      status: "ok",
      summary: "completed",
      result: { payloads: [{ text: "hello brave new world" }], meta: { agentId: "main", provider: "echo" } },
    });
    const events = agentEvents(peer, idempotencyKey);
    expect(events[0]?.payload).toMatchObject({
      stream: "lifecycle",
      data: { phase: "start" },
      sessionKey: "agent:main:main",
    });
    expect(events.at(-1)?.payload).toMatchObject({ stream: "lifecycle", data: { phase: "end" } });
    const assistant = events.filter((e) => e.payload.stream === "assistant");
    expect(assistant.length).toBeGreaterThan(1);
    expect(assistant.at(-1)?.payload.data.text).toBe("hello brave new world");
    expect(assistant.map((e) => e.payload.data.delta).join("")).toBe("hello brave new world");
    const frames = peer.frames;
    const ackIndex = frames.indexOf(ack);
    const finalIndex = frames.indexOf(final);
    expect(frames.findIndex((f) => f === events[0])).toBeGreaterThan(ackIndex);
    expect(frames.findIndex((f) => f === events.at(-1))).toBeLessThan(finalIndex);
    expect(final.id).toBe(id);
  });

  it("numbers agent events per run from 1, strictly +1", async () => {
    const peer = await connected();
    const first = key("seq");
    const second = key("seq");
    await Promise.all([
      agentRun(peer, { message: "one two three four", idempotencyKey: first }),
      agentRun(peer, { message: "five six seven", idempotencyKey: second, sessionKey: "agent:main:other" }),
    ]);
    for (const runId of [first, second]) {
      const seqs = agentEvents(peer, runId).map((e) => e.payload.seq);
      expect(seqs).toEqual(seqs.map((_, index) => index + 1));
    }
  });

  it("returns the same run for a retry while it runs, and its final result after it finished", async () => {
    const peer = await connected();
    const idempotencyKey = key("dedupe");
    const params = { message: "alpha beta gamma delta epsilon", idempotencyKey };
    const firstId = key("req");
    peer.send({ type: "req", id: firstId, method: "agent", params });
    await peer.response(firstId);
    const retry = await agentRun(peer, params);
    expect(retry.ack.payload).toMatchObject({ runId: idempotencyKey, status: "accepted" });
    expect(retry.final.payload).toMatchObject({ runId: idempotencyKey, status: "ok" });
    const late = await peer.request("agent", params);
    expect(late.ok).toBe(true);
    expect(late.payload).toMatchObject({
      runId: idempotencyKey,
      status: "ok",
      result: { payloads: [{ text: params.message }] },
    });
    const starts = agentEvents(peer, idempotencyKey).filter((e) => e.payload.data.phase === "start");
    expect(starts).toHaveLength(1);
    const history = (await peer.request("chat.history", { sessionKey: "agent:main:main" })).payload.messages;
    expect(
      history.filter((m: { runId: string; role: string }) => m.runId === idempotencyKey && m.role === "user"),
    ).toHaveLength(1);
  });

  it("serializes runs of one session and runs different sessions in parallel", async () => {
    const peer = await connected();
    const [a1, a2, b1] = [key("lane"), key("lane"), key("lane")];
    const words = "w1 w2 w3 w4 w5 w6";
    await Promise.all([
      agentRun(peer, { message: words, idempotencyKey: a1, sessionKey: "agent:main:lane-a" }),
      agentRun(peer, { message: words, idempotencyKey: a2, sessionKey: "agent:main:lane-a" }),
      agentRun(peer, { message: words, idempotencyKey: b1, sessionKey: "agent:main:lane-b" }),
    ]);
    const at = (runId: string, phase: string) => {
      const event = agentEvents(peer, runId).find(
        (e) => e.payload.stream === "lifecycle" && e.payload.data.phase === phase,
      );
      return peer.frames.indexOf(event as Frame);
    };
    expect(at(a2, "start")).toBeGreaterThan(at(a1, "end"));
    expect(at(b1, "start")).toBeLessThan(at(a1, "end"));
  });

  it("chat.send acks started, echoes the user message, streams cumulative deltas and ends with final", async () => {
    const peer = await connected();
    const idempotencyKey = key("chat");
    const sessionKey = "agent:main:chat-1";
    const res = await peer.request("chat.send", {
      sessionKey,
      message: "one two three four five six",
      idempotencyKey,
    });
    expect(res.payload).toEqual({ runId: idempotencyKey, status: "started" });
    await peer.until(
      () => chatEvents(peer, idempotencyKey).find((e) => e.payload.state === "final"),
      5_000,
      "final",
    );
    const echo = chatEvents(peer, `user-${idempotencyKey}`)[0];
    expect(echo?.payload).toMatchObject({
      sessionKey,
      seq: 0,
      state: "final",
      message: { role: "user", content: [{ type: "text", text: "one two three four five six" }] },
    });
    const events = chatEvents(peer, idempotencyKey);
    const deltas = events.filter((e) => e.payload.state === "delta");
    expect(deltas.length).toBeGreaterThan(0);
    const texts = deltas.map((e) => e.payload.message.content[0].text as string);
    texts.forEach((text, i) => i > 0 && expect(text.startsWith(texts[i - 1] as string)).toBe(true));
    expect(events.at(-1)?.payload).toMatchObject({
      state: "final",
      message: { role: "assistant", content: [{ type: "text", text: "one two three four five six" }] },
    });
    const again = await peer.request("chat.send", { sessionKey, message: "x", idempotencyKey });
    expect(again.payload).toEqual({ runId: idempotencyKey, status: "ok" });
  });

  it("chat.abort stops the run, emits aborted with the partial text and keeps it in the transcript", async () => {
    const peer = await connected();
    const idempotencyKey = key("abort");
    const sessionKey = "agent:main:abort-1";
    const words = Array.from({ length: 60 }, (_, i) => `word${i}`).join(" ");
    await peer.request("chat.send", { sessionKey, message: words, idempotencyKey });
    await peer.until(
      () => chatEvents(peer, idempotencyKey).find((e) => e.payload.state === "delta"),
      5_000,
      "a delta",
    );
    const res = await peer.request("chat.abort", { sessionKey });
    expect(res.payload).toEqual({ ok: true, aborted: true, runIds: [idempotencyKey] });
    const aborted = await peer.until(
      () => chatEvents(peer, idempotencyKey).find((e) => e.payload.state === "aborted"),
      5_000,
      "aborted",
    );
    expect(aborted.payload.stopReason).toBe("rpc");
    const partial = aborted.payload.message.content[0].text as string;
    expect(partial.length).toBeGreaterThan(0);
    expect(words.startsWith(partial)).toBe(true);
    const history = (await peer.request("chat.history", { sessionKey })).payload.messages;
    expect(history.at(-1)).toMatchObject({
      role: "assistant",
      state: "aborted",
      content: [{ type: "text", text: partial }],
    });
    const wait = (await peer.request("agent.wait", { runId: idempotencyKey, timeoutMs: 100 })).payload;
    expect(wait).toMatchObject({ runId: idempotencyKey, status: "error", stopReason: "rpc" });
  });

  it("rejects chat.abort of a run that belongs to another session", async () => {
    const peer = await connected();
    const idempotencyKey = key("other");
    await peer.request("chat.send", {
      sessionKey: "agent:main:own",
      message: "a b c d e f g h",
      idempotencyKey,
    });
    const res = await peer.request("chat.abort", { sessionKey: "agent:main:not-own", runId: idempotencyKey });
    expect(res.error).toEqual({ code: "INVALID_REQUEST", message: "runId does not match sessionKey" });
  });

  it("ends a run that exceeds its timeout in error with stopReason timeout", async () => {
    const peer = await connected();
    const idempotencyKey = key("timeout");
    const words = Array.from({ length: 100 }, (_, i) => `t${i}`).join(" ");
    const { final } = await agentRun(peer, {
      message: words,
      idempotencyKey,
      timeout: 1,
      sessionKey: "agent:main:slow",
    });
    expect(final.ok).toBe(false);
    expect(final.payload).toMatchObject({ runId: idempotencyKey, status: "error", stopReason: "timeout" });
    expect(final.error).toEqual({ code: "UNAVAILABLE", message: "timed out after 1000ms" });
    const end = agentEvents(peer, idempotencyKey).at(-1);
    expect(end?.payload.data).toMatchObject({ phase: "end", aborted: true, stopReason: "timeout" });
  });

  it("agent.wait resolves when the run ends, and reports timeout when it does not end in time", async () => {
    const peer = await connected();
    const idempotencyKey = key("wait");
    peer.send({
      type: "req",
      id: "w-agent",
      method: "agent",
      params: { message: "a b c d", idempotencyKey, sessionKey: "agent:main:wait" },
    });
    const waited = await peer.request("agent.wait", { runId: idempotencyKey, timeoutMs: 5_000 });
    expect(waited.payload).toMatchObject({
      runId: idempotencyKey,
      status: "ok",
      startedAt: expect.any(Number),
      endedAt: expect.any(Number),
    });
    const missing = await peer.request("agent.wait", { runId: "never-started", timeoutMs: 50 });
    expect(missing.payload).toEqual({ runId: "never-started", status: "timeout" });
  });

  it("validates agent params with upstream messages", async () => {
    const peer = await connected();
    expect((await peer.request("agent", { message: "x" })).error?.message).toBe(
      "invalid agent params: at root: must have required property 'idempotencyKey'",
    );
    expect(
      (await peer.request("agent", { message: "x", idempotencyKey: key("v"), agentId: "nobody" })).error
        ?.message,
    ).toBe('invalid agent params: unknown agent id "nobody"');
    expect(
      (
        await peer.request("agent", {
          message: "x",
          idempotencyKey: key("v"),
          agentId: "helper",
          sessionKey: "agent:main:x",
        })
      ).error?.message,
    ).toBe('invalid agent params: agent "helper" does not match session key agent "main"');
    expect(
      (await peer.request("agent", { message: "x", idempotencyKey: key("v"), sessionKey: "agent:main" }))
        .error?.message,
    ).toBe('invalid agent params: malformed session key "agent:main"');
  });

  it("routes agentId to its own main session", async () => {
    const peer = await connected();
    const idempotencyKey = key("helper");
    const { final } = await agentRun(peer, { message: "hi helper", idempotencyKey, agentId: "helper" });
    expect(final.payload.result.meta.agentId).toBe("helper");
    expect(agentEvents(peer, idempotencyKey)[0]?.payload.sessionKey).toBe("agent:helper:main");
  });

  it("/new resets the session before running", async () => {
    const peer = await connected();
    const sessionKey = "agent:main:resettable";
    await agentRun(peer, { message: "remember this", idempotencyKey: key("r"), sessionKey });
    const before = (await peer.request("chat.history", { sessionKey })).payload;
    await agentRun(peer, { message: "/new fresh start", idempotencyKey: key("r"), sessionKey });
    const after = (await peer.request("chat.history", { sessionKey })).payload;
    expect(after.sessionId).not.toBe(before.sessionId);
    expect(after.messages.map((m: { content: Array<{ text: string }> }) => m.content[0]?.text)).toEqual([
      "/new fresh start",
      "fresh start",
    ]);
  });

  it("lists, previews, resets and deletes sessions; lists agents and models", async () => {
    const peer = await connected();
    const sessionKey = "agent:main:listed";
    await agentRun(peer, { message: "for the list", idempotencyKey: key("l"), sessionKey });
    const list = (await peer.request("sessions.list")).payload;
    expect(list.path).toBe(path.join(fixture.home.stateDir, "state.db"));
    const listed = list.sessions.find((s: { key: string }) => s.key === sessionKey);
    expect(listed).toMatchObject({
      agentId: "main",
      messageCount: 2,
      lastMessage: { role: "assistant", text: "for the list" },
    });
    const preview = (await peer.request("sessions.preview", { keys: [sessionKey, "agent:main:nothing"] }))
      .payload.previews;
    expect(preview[0].items.map((i: { text: string }) => i.text)).toEqual(["for the list", "for the list"]);
    expect(preview[1]).toEqual({ key: "agent:main:nothing", sessionId: null, items: [] });
    const reset = (await peer.request("sessions.reset", { key: sessionKey })).payload;
    expect(reset.sessionId).not.toBe(listed.sessionId);
    expect((await peer.request("chat.history", { sessionKey })).payload.messages).toEqual([]);
    expect((await peer.request("sessions.delete", { key: sessionKey })).payload).toEqual({
      ok: true,
      deleted: true,
    });
    expect(
      (await peer.request("sessions.list")).payload.sessions.some(
        (s: { key: string }) => s.key === sessionKey,
      ),
    ).toBe(false);
    const agents = (await peer.request("agents.list")).payload;
    expect(agents).toMatchObject({
      defaultId: "main",
      mainKey: "main",
      agents: [
        { id: "main", default: true, model: "echo" },
        { id: "helper", default: false },
      ],
    });
    const models = (await peer.request("models.list")).payload.models;
    expect(models).toEqual(expect.arrayContaining([expect.objectContaining({ provider: "echo" })]));
  });

  it("keeps the state in <stateDir>/state.db", () => {
    expect(fs.existsSync(path.join(fixture.home.stateDir, "state.db"))).toBe(true);
  });
});
