/**
 * The Telegram channel under the real channel manager, against a Bot API wire-format server: inbound
 * updates, ordered chunked sends, 429 retry_after, and recovery from a stalled poll, an outage and a
 * conflict. (The gateway-level flow, routing and CLI are in telegram-gateway.test.ts.)
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ChannelManager } from "../src/channels/channel-manager.js";
import { telegramChannel } from "../src/channels/telegram/index.js";
import type { InboundMessage } from "../src/channels/types.js";
import { validateConfigObject } from "../src/config/load.js";
import { startFakeTelegram, type FakeTelegramServer } from "./helpers/fake-telegram-server.js";
import { fileLogger } from "./helpers/in-process.js";

const until = async (check: () => boolean, timeoutMs: number, what: string) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs}ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

const USER = 5550001;

describe("telegram transport under the channel manager", () => {
  let dir: string;
  let telegram: FakeTelegramServer;
  let manager: ChannelManager;
  const inbound: InboundMessage[] = [];
  const target = { channel: "telegram", accountId: "default", to: String(USER) };
  const account = () => manager.account("telegram");

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "coderclaw-telegram-"));
    telegram = await startFakeTelegram();
    const { issues, config } = validateConfigObject({
      channels: {
        telegram: {
          botToken: telegram.token,
          apiRoot: telegram.apiRoot,
          pollTimeoutSeconds: 1,
          dmPolicy: "allowlist",
          allowFrom: [String(USER)],
        },
      },
    });
    expect(issues).toEqual([]);
    manager = new ChannelManager({
      config,
      env: {},
      plugins: [telegramChannel],
      logger: fileLogger(dir, [telegram.token]),
      onInbound: (_account, message) => inbound.push(message),
      // Backoff starts again at 5 s for each scenario (the account ran stably in between).
      delays: { stopTimeout: 500, stableAfter: 1_000 },
    });
    manager.start();
    await until(() => account().state === "running", 5_000, "account running");
  });

  afterAll(async () => {
    await manager?.stop();
    await telegram?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A DM from the allowed user; resolves once the account has received it. */
  async function dm(text: string, timeoutMs: number): Promise<number> {
    const before = inbound.length;
    telegram.userMessage({ from: USER, text });
    const sentAt = Date.now();
    await until(
      () => inbound.length > before && inbound.at(-1)?.text === text,
      timeoutMs,
      `inbound "${text}"`,
    );
    return Date.now() - sentAt;
  }

  it("receives a DM as a direct message from the numeric user id, with the bot's name in its status", async () => {
    await dm("hello bot", 5_000);
    expect(inbound.at(-1)).toMatchObject({
      peer: { kind: "direct", id: String(USER) },
      sender: { id: String(USER) },
      text: "hello bot",
    });
    const status = await manager.status(true, 2_000);
    expect(status.channelAccounts.telegram?.[0]).toMatchObject({
      running: true,
      connected: true,
      mode: "polling",
      self: telegram.bot.username,
      tokenSource: "config",
      probe: { ok: true, bot: { id: telegram.bot.id, username: telegram.bot.username } },
    });
    expect(JSON.stringify(status)).not.toContain(telegram.token.split(":")[1]);
    const poll = telegram.calls.find((call) => call.method === "getUpdates");
    expect(poll?.params).toMatchObject({ timeout: 1, allowed_updates: ["message"] });
  });

  it("sends a long reply in order, every chunk within 4096, reassembling exactly", async () => {
    const text = Array.from({ length: 400 }, (_, n) => `Line ${n}: ${"lorem ipsum ".repeat(4)}`).join("\n");
    expect(text.length).toBeGreaterThan(8192);
    const before = telegram.sent.length;
    const chunks = await manager.deliver(target, text);
    const sent = telegram.sent.slice(before);
    expect(sent).toHaveLength(chunks);
    expect(chunks).toBeGreaterThanOrEqual(3);
    for (const message of sent) {
      expect(message.chatId).toBe(String(USER));
      expect(message.text.length).toBeLessThanOrEqual(4096);
    }
    expect(sent.map((message) => message.text).join("")).toBe(text);
  });

  it("waits out a 429's retry_after before sending again, keeping the order", async () => {
    telegram.rateLimit("sendMessage", 2);
    const before = telegram.calls.length;
    await manager.deliver(target, "first");
    await manager.deliver(target, "second");
    const sends = telegram.calls.slice(before).filter((call) => call.method === "sendMessage");
    expect(sends.map((call) => [call.status, call.params.text])).toEqual([
      [429, "first"],
      [200, "first"],
      [200, "second"],
    ]);
    expect(sends[1]!.at - sends[0]!.at).toBeGreaterThanOrEqual(2_000);
  }, 15_000);

  it("abandons a stalled poll and receives again once Telegram answers", async () => {
    telegram.stall(true);
    try {
      await until(() => account().state === "reconnecting", 15_000, "stall detected");
      const snapshot = (await manager.status(false, 1_000)).channelAccounts.telegram?.[0];
      expect(snapshot?.lastError).toBe("getUpdates stalled: no answer within 6.5s");
      expect(snapshot?.nextAttemptAt).toBeGreaterThan(Date.now());
    } finally {
      telegram.stall(false);
    }
    const flowingAfterMs = await dm("after the stall", 30_000);
    console.log(`telegram: messages flow again ${flowingAfterMs} ms after a stalled poll ended`);
    expect(flowingAfterMs).toBeLessThan(60_000);
  }, 60_000);

  it("comes back after an outage (connections refused, then 502s) of a few seconds", async () => {
    await until(() => account().state === "running", 15_000, "running");
    const outageStarted = Date.now();
    try {
      await telegram.outage("refuse");
      await until(() => account().state === "reconnecting", 10_000, "outage noticed");
      // The held poll is cut, or the next one refused.
      expect((await manager.status(false, 1_000)).channelAccounts.telegram?.[0]?.lastError).toMatch(
        /^getUpdates: .*(ECONNRESET|ECONNREFUSED|other side closed)/,
      );
      // The outage lasts a set time on purpose: 2 s more of refused connections, then 2 s of 502s.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      await telegram.outage("502");
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    } finally {
      await telegram.outage(null);
    }
    const outageMs = Date.now() - outageStarted;
    const flowingAfterMs = await dm("after the outage", 60_000);
    console.log(`telegram: messages flow again ${flowingAfterMs} ms after an outage of ${outageMs} ms ended`);
    expect(flowingAfterMs).toBeLessThan(60_000);
  }, 90_000);

  it("reports a 409 conflict (another poller or a webhook) as the account's error, and recovers", async () => {
    await until(() => account().state === "running", 30_000, "running");
    telegram.conflict(true);
    try {
      await until(() => account().state === "reconnecting", 10_000, "conflict noticed");
      expect((await manager.status(false, 1_000)).channelAccounts.telegram?.[0]?.lastError).toBe(
        "getUpdates: 409 Conflict: terminated by other getUpdates request; make sure that only one bot instance is running (another process is polling this bot token, or a webhook is set; only one poller per bot)",
      );
    } finally {
      telegram.conflict(false);
    }
    await dm("after the conflict", 60_000);
  }, 90_000);

  it("on stop, confirms the updates it handled so the next start does not receive them again", async () => {
    await until(() => account().state === "running", 30_000, "running");
    const lastUpdate = telegram.userMessage({ from: USER, text: "the last one" });
    await until(() => inbound.at(-1)?.text === "the last one", 5_000, "last message");
    await manager.stop();
    expect(telegram.calls.at(-1)).toMatchObject({
      method: "getUpdates",
      params: { offset: lastUpdate + 1, timeout: 0 },
      status: 200,
    });
  });
});
