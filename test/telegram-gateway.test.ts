/**
 * Telegram in a real gateway process against the Bot API wire-format server (one of each for the
 * file), with the echo agent: status and probe through the CLI, DMs answered, long replies chunked,
 * 429s waited out, pairing, and messages flowing again after a stalled poll and an outage.
 */
import fs from "node:fs";
import path from "node:path";
import type { ChannelsStatus } from "../src/channels/account-snapshot.js";
import { REDACTED } from "../src/config/redact.js";
import { startFakeTelegram, type FakeTelegramServer } from "./helpers/fake-telegram-server.js";
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
import { WsPeer } from "./helpers/ws-peer.js";
import { waitFor } from "./helpers/wait-for.js";

const USER = 7770001;
const STRANGER = 7770002;
const NEWCOMER = 7770003;

const until = async (check: () => boolean, timeoutMs: number, what: string) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs}ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe("telegram in the gateway", () => {
  let telegram: FakeTelegramServer;
  let home: TempHome;
  let gateway: GatewayProcess;
  const peers: WsPeer[] = [];
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    telegram = await startFakeTelegram();
    home = makeTempHome();
    home.writeConfig(
      localConfig(
        {},
        {
          providers: { echo: { type: "echo", delayMs: 0 } },
          channels: {
            telegram: {
              botToken: telegram.token,
              apiRoot: telegram.apiRoot,
              pollTimeoutSeconds: 1,
              allowFrom: [String(USER)],
            },
          },
        },
      ),
    );
    gateway = await startGateway(home.env);
    env = { ...home.env, CODERCLAW_GATEWAY_PORT: String(gateway.port) };
  });

  afterEach(() => peers.splice(0).forEach((peer) => peer.close()));

  afterAll(async () => {
    await gateway?.stop();
    await killAll();
    await telegram?.close();
    home?.cleanup();
  });

  async function connected(): Promise<WsPeer> {
    const peer = await WsPeer.open(gateway.url);
    peers.push(peer);
    const res = await peer.connect({ auth: { token: TEST_TOKEN } });
    if (!res.ok) throw new Error(`connect failed: ${JSON.stringify(res.error)}`);
    return peer;
  }

  it("starts the account: getMe, then long polls with the configured timeout", async () => {
    await until(() => telegram.calls.some((call) => call.method === "getUpdates"), 10_000, "first poll");
    expect(telegram.calls[0]).toMatchObject({ method: "getMe", status: 200 });
    expect(telegram.calls.find((call) => call.method === "getUpdates")?.params).toMatchObject({
      timeout: 1,
      allowed_updates: ["message"],
    });
  });

  it("keeps the bot token out of config.get and the gateway log", async () => {
    const peer = await connected();
    const snapshot = (await peer.request("config.get")).payload as {
      config: { channels: { telegram: { botToken: string } } };
      raw?: string;
    };
    expect(snapshot.config.channels.telegram.botToken).toBe(REDACTED);
    expect(JSON.stringify(snapshot)).not.toContain(telegram.token.split(":")[1]);
    const log = fs.readFileSync(path.join(home.stateDir, "logs", "gateway.log"), "utf8");
    expect(log).toContain("connected as @coderclaw_test_bot (long polling)");
    expect(log).not.toContain(telegram.token.split(":")[1]);
    const { stdout, stderr } = gateway.output();
    expect(stdout + stderr).not.toContain(telegram.token.split(":")[1]);
  });

  async function channelsStatus(probe = false): Promise<ChannelsStatus> {
    const result = await runCli(["channels", "status", "--json", ...(probe ? ["--probe"] : [])], env);
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout) as ChannelsStatus;
  }

  /** The messages the bot sends to `chatId` from now on, once `count` have arrived. */
  async function repliesTo(chatId: number, count: number, send: () => void, timeoutMs = 15_000) {
    const before = telegram.sent.length;
    send();
    const mine = () => telegram.sent.slice(before).filter((message) => message.chatId === String(chatId));
    await until(() => mine().length >= count, timeoutMs, `${count} message(s) to ${chatId}`);
    return mine();
  }

  it("channels status --probe --json shows the account running and connected as the bot", async () => {
    const status = await channelsStatus(true);
    expect(status.channelOrder[0]).toBe("telegram");
    expect(status.channelLabels.telegram).toBe("Telegram");
    expect(status.channelAccounts.telegram?.[0]).toMatchObject({
      accountId: "default",
      enabled: true,
      configured: true,
      running: true,
      connected: true,
      state: "running",
      mode: "polling",
      self: telegram.bot.username,
      tokenSource: "config",
      dmPolicy: "pairing",
      allowFrom: [String(USER)],
      probe: { ok: true, bot: { id: telegram.bot.id, username: telegram.bot.username } },
    });
    const text = await runCli(["channels", "status", "--probe"], env);
    expect(text.stdout).toMatch(/- Telegram default: enabled, configured, running, connected, /);
    expect(text.stdout + JSON.stringify(status)).not.toContain(telegram.token.split(":")[1]);
  });

  it("health and status list the account: label, account, running and connected", async () => {
    const json = await runCli(["health", "--json"], env);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      channelOrder: ["telegram"],
      channelLabels: { telegram: "Telegram" },
      channels: {
        telegram: {
          configured: true,
          running: true,
          connected: true,
          accounts: { default: { accountId: "default", running: true, connected: true, lastError: null } },
        },
      },
    });
    const health = await runCli(["health"], env);
    expect(health.code).toBe(0);
    // The probe of the test before is remembered on the account, and health shows its outcome.
    expect(health.stdout).toMatch(
      /^Telegram default: running, connected( \(probe ok \(@\w+\) \(\d+ms\)\))?$/m,
    );
    expect(health.stdout).not.toContain("Channels: none configured");
    const status = await runCli(["status"], env);
    expect(status.stdout).toMatch(/│ Channels +│ 1 accounts · 1 running +│/);
    expect(status.stdout).toMatch(/│ {3}Telegram default +│ running, connected +│/);
    expect(health.stdout + status.stdout + json.stdout).not.toContain(telegram.token.split(":")[1]);
  });

  it("a DM from an allowed numeric id gets the echo agent's reply", async () => {
    const replies = await repliesTo(USER, 1, () => telegram.userMessage({ from: USER, text: "hello bot" }));
    expect(replies.map((message) => message.text)).toEqual(["hello bot"]);
  });

  it("a long reply arrives in order, every message within 4096, reassembling exactly", async () => {
    const text = Array.from(
      { length: 300 },
      (_, n) => `Paragraph ${n}. ${"Sphinx of black quartz, judge my vow. ".repeat(3)}`,
    ).join("\n\n");
    expect(text.length).toBeGreaterThan(3 * 4096);
    const expected = Math.ceil(text.length / 4096);
    const replies = await repliesTo(USER, expected, () => telegram.userMessage({ from: USER, text }));
    // Splitting at paragraph breaks can take more messages than the minimum: wait for the text's length.
    const all = await waitFor("the whole long reply", () => {
      const sent = telegram.sent
        .slice(telegram.sent.indexOf(replies[0]!))
        .filter((m) => m.chatId === String(USER));
      return sent.reduce((length, message) => length + message.text.length, 0) >= text.length
        ? sent
        : undefined;
    });
    for (const message of all) expect(message.text.length).toBeLessThanOrEqual(4096);
    expect(all.map((message) => message.text).join("")).toBe(text);
  });

  it("after a 429 the bot waits retry_after before sending again", async () => {
    telegram.rateLimit("sendMessage", 2);
    const since = telegram.calls.length;
    const replies = await repliesTo(USER, 1, () => telegram.userMessage({ from: USER, text: "slow down" }));
    expect(replies.map((message) => message.text)).toEqual(["slow down"]);
    const sends = telegram.calls.slice(since).filter((call) => call.method === "sendMessage");
    expect(sends.map((call) => call.status)).toEqual([429, 200]);
    expect(sends[1]!.at - sends[0]!.at).toBeGreaterThanOrEqual(2_000);
  });

  it("an unknown sender gets a pairing code; approved with the CLI, the agent answers", async () => {
    const [pairing] = await repliesTo(STRANGER, 1, () =>
      telegram.userMessage({ from: STRANGER, text: "hi" }),
    );
    const lines = pairing!.text.split("\n");
    expect(lines).toEqual([
      "CoderClaw: access not configured.",
      `Your ID: ${STRANGER}`,
      expect.stringMatching(/^Pairing code: [A-HJ-NP-Z2-9]{8}$/),
      expect.stringMatching(
        /^Ask the bot owner to approve with: coderclaw pairing approve telegram [A-HJ-NP-Z2-9]{8}$/,
      ),
    ]);
    const code = lines[2]!.slice("Pairing code: ".length);
    const listed = await runCli(["pairing", "list", "telegram", "--json"], env);
    expect(JSON.parse(listed.stdout).requests).toEqual([
      expect.objectContaining({
        code,
        channel: "telegram",
        accountId: "default",
        senderId: String(STRANGER),
      }),
    ]);
    const approved = await runCli(["pairing", "approve", "telegram", code], env);
    expect(approved.code).toBe(0);
    const replies = await repliesTo(STRANGER, 1, () =>
      telegram.userMessage({ from: STRANGER, text: "let me in" }),
    );
    expect(replies.map((message) => message.text)).toEqual(["let me in"]);
  });

  it("a config change under channels.telegram restarts the account with the new allowFrom", async () => {
    const admin = await connected();
    const { hash } = (await admin.request("config.get")).payload as { hash: string };
    const getMes = () => telegram.calls.filter((call) => call.method === "getMe").length;
    const before = getMes();
    const patched = await admin.request("config.patch", {
      patch: { channels: { telegram: { allowFrom: [String(USER), `tg:${NEWCOMER}`] } } },
      baseHash: hash,
    });
    expect(patched.payload).toMatchObject({ ok: true });
    await until(() => getMes() > before, 10_000, "account restarted");
    const replies = await repliesTo(NEWCOMER, 1, () =>
      telegram.userMessage({ from: NEWCOMER, text: "newly allowed" }),
    );
    expect(replies.map((message) => message.text)).toEqual(["newly allowed"]);
    const file = JSON.parse(fs.readFileSync(home.configPath, "utf8"));
    expect(file.channels.telegram.botToken).toBe(telegram.token);
  });

  it("after a stalled poll, messages flow again", async () => {
    await telegram.waitForPoll();
    telegram.stall(true);
    try {
      await until(() => logText().includes("polling ended: getUpdates stalled"), 15_000, "stall noticed");
      // Over the WebSocket rather than the CLI: the answer must come before the 5 s restart.
      const admin = await connected();
      const status = (await admin.request("channels.status", {})).payload as ChannelsStatus;
      const account = status.channelAccounts.telegram?.[0];
      expect(account).toMatchObject({
        running: false,
        lastError: "getUpdates stalled: no answer within 6.5s",
      });
      expect(account?.nextAttemptAt).toEqual(expect.any(Number));
      const health = (await admin.request("health", {})).payload as {
        channels: { telegram: { running: boolean; accounts: Record<string, unknown> } };
      };
      expect(health.channels.telegram).toMatchObject({
        running: false,
        accounts: { default: { running: false, lastError: "getUpdates stalled: no answer within 6.5s" } },
      });
    } finally {
      telegram.stall(false);
    }
    const answeringAt = Date.now();
    await repliesTo(USER, 1, () => telegram.userMessage({ from: USER, text: "still there?" }), 60_000);
    const flowingAfterMs = Date.now() - answeringAt;
    console.log(`telegram (gateway): reply ${flowingAfterMs} ms after the stalled Bot API answered again`);
    expect(flowingAfterMs).toBeLessThan(60_000);
  }, 90_000);

  it("after an outage of a few seconds, messages flow again", async () => {
    // The previous test ended with a reply, so the account is running again.
    expect((await channelsStatus()).channelAccounts.telegram?.[0]).toMatchObject({ running: true });
    const outageStarted = Date.now();
    try {
      // The outage lasts a set time on purpose: 3 s of refused connections, then 2 s of 502s.
      await telegram.outage("refuse");
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      await telegram.outage("502");
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    } finally {
      await telegram.outage(null);
    }
    const answeringAt = Date.now();
    await repliesTo(USER, 1, () => telegram.userMessage({ from: USER, text: "back?" }), 60_000);
    const flowingAfterMs = Date.now() - answeringAt;
    console.log(
      `telegram (gateway): reply ${flowingAfterMs} ms after an outage of ${answeringAt - outageStarted} ms ended`,
    );
    expect(flowingAfterMs).toBeLessThan(60_000);
  }, 90_000);

  function logText(): string {
    const file = path.join(home.stateDir, "logs", "gateway.log");
    return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  }
});
