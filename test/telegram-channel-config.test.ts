import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { resolveTelegramAccount, listTelegramAccountIds } from "../src/channels/telegram/account.js";
import { chunkTelegramText } from "../src/channels/telegram/chunk.js";
import { toInboundMessage, type TelegramUpdate } from "../src/channels/telegram/inbound.js";
import { validateConfigObject } from "../src/config/load.js";
import { redactConfig, REDACTED } from "../src/config/redact.js";
import type { CoderclawConfig } from "../src/config/schema.js";

const TOKEN = "123456789:AAFakeTelegramTokenForTests_0123456789";

function configWith(telegram: Record<string, unknown>): CoderclawConfig {
  const { issues, config } = validateConfigObject({ channels: { telegram } });
  expect(issues).toEqual([]);
  return config;
}

describe("telegram accounts from config", () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "coderclaw-telegram-"));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("takes the token from botToken, then tokenFile, then TELEGRAM_BOT_TOKEN for the default account", () => {
    const file = path.join(dir, "token");
    fs.writeFileSync(file, `${TOKEN}\n`, { mode: 0o600 });
    expect(resolveTelegramAccount(configWith({ botToken: TOKEN }), "default", {})).toMatchObject({
      token: TOKEN,
      tokenSource: "config",
      problem: null,
    });
    expect(resolveTelegramAccount(configWith({ tokenFile: file }), "default", {})).toMatchObject({
      token: TOKEN,
      tokenSource: "tokenFile",
      problem: null,
    });
    const env = { TELEGRAM_BOT_TOKEN: TOKEN };
    expect(listTelegramAccountIds(configWith({}), env)).toEqual(["default"]);
    expect(resolveTelegramAccount(configWith({}), "default", env)).toMatchObject({ tokenSource: "env" });
    // A named account never takes the default account's token or the env token.
    const named = configWith({ botToken: TOKEN, accounts: { work: {} } });
    expect(listTelegramAccountIds(named, env)).toEqual(["default", "work"]);
    expect(resolveTelegramAccount(named, "work", env)).toMatchObject({ tokenSource: "none", token: "" });
  });

  it("refuses a token file other users can read, and a symlink", () => {
    const file = path.join(dir, "open-token");
    fs.writeFileSync(file, TOKEN);
    fs.chmodSync(file, 0o644);
    const account = resolveTelegramAccount(configWith({ tokenFile: file }), "default", {});
    expect(account.token).toBe("");
    expect(account.problem).toBe(`tokenFile ${file} is readable by other users (chmod 600 ${file})`);
    const link = path.join(dir, "link");
    fs.symlinkSync(path.join(dir, "token"), link);
    expect(resolveTelegramAccount(configWith({ tokenFile: link }), "default", {}).problem).toBe(
      `tokenFile ${link} is not a regular file`,
    );
  });

  it("says why an account cannot start", () => {
    const problem = (telegram: Record<string, unknown>) =>
      resolveTelegramAccount(configWith(telegram), "default", {}).problem;
    expect(problem({})).toBe("no bot token (set botToken, tokenFile or TELEGRAM_BOT_TOKEN)");
    expect(problem({ botToken: "abc/../x" })).toBe("the bot token (config) is not <id>:<secret>");
    expect(problem({ botToken: TOKEN, allowFrom: ["@alice"] })).toBe(
      'allowFrom: "@alice" is not a numeric Telegram user id or "*"',
    );
    expect(problem({ botToken: TOKEN, dmPolicy: "allowlist" })).toBe(
      'dmPolicy "allowlist" needs at least one id in allowFrom',
    );
    expect(problem({ botToken: TOKEN, apiRoot: `https://api.telegram.org/bot${TOKEN}` })).toBe(
      "apiRoot is the Bot API root only, without /bot<token>",
    );
    expect(problem({ botToken: TOKEN, pollTimeoutSeconds: 3600 })).toBe(
      "pollTimeoutSeconds must be an integer 1–50",
    );
  });

  it("normalises allowFrom ids and applies the section's requireMention to its groups", () => {
    const account = resolveTelegramAccount(
      configWith({
        botToken: TOKEN,
        allowFrom: ["telegram:111", "tg:222", "333"],
        requireMention: false,
        groups: { "-100555": {}, "-100666": { requireMention: true } },
      }),
      "default",
      {},
    );
    expect(account.apiRoot).toBe("https://api.telegram.org");
    expect(account.access).toEqual({
      dmPolicy: "pairing",
      allowFrom: ["111", "222", "333"],
      groupPolicy: "allowlist",
      groupAllowFrom: ["111", "222", "333"],
      groups: { "-100555": { requireMention: false }, "-100666": { requireMention: true } },
    });
  });

  it("redacts bot tokens (and other channel credentials) in config output", () => {
    const redacted = redactConfig({
      channels: { telegram: { botToken: TOKEN, accounts: { work: { botToken: TOKEN } } } },
    });
    expect(redacted.channels.telegram.botToken).toBe(REDACTED);
    expect(redacted.channels.telegram.accounts.work.botToken).toBe(REDACTED);
    const irc = redactConfig({
      channels: { irc: { password: "server-secret", nickserv: { password: "nick-secret" } } },
    });
    expect(JSON.stringify(irc)).not.toMatch(/server-secret|nick-secret/);
  });
});

describe("telegram chunking", () => {
  it("keeps every chunk within 4096 UTF-16 units, splits at paragraphs, and reassembles exactly", () => {
    const paragraph = (n: number) => `${"word ".repeat(300)}end of paragraph ${n}.`;
    const text = Array.from({ length: 8 }, (_, n) => paragraph(n)).join("\n\n");
    const chunks = chunkTelegramText(text);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.join("")).toBe(text);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(4096);
    for (const chunk of chunks.slice(0, -1)) expect(chunk.endsWith(".\n\n")).toBe(true);
  });

  it("counts astral characters as two units and never splits a surrogate pair", () => {
    const text = "😀".repeat(3000);
    const chunks = chunkTelegramText(text);
    expect(chunks.join("")).toBe(text);
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThanOrEqual(4096);
      expect([...chunk].every((char) => char === "😀")).toBe(true);
    }
  });
});

describe("telegram updates as inbound messages", () => {
  const bot = { id: 42, username: "claw_bot" };
  const update = (message: Record<string, unknown>): TelegramUpdate =>
    ({ update_id: 1, message: { message_id: 7, date: 1_700_000_000, ...message } }) as TelegramUpdate;

  it("maps a private chat to a direct peer with the numeric sender id", () => {
    expect(
      toInboundMessage(
        update({ chat: { id: 555, type: "private" }, from: { id: 555, first_name: "Ann" }, text: "hi" }),
        bot,
      ),
    ).toEqual({
      messageId: "555:7",
      peer: { kind: "direct", id: "555" },
      sender: { id: "555", name: "Ann" },
      text: "hi",
      mentioned: true,
      ts: 1_700_000_000_000,
    });
  });

  it("detects mentions in groups: @username, a reply to the bot, /command@bot", () => {
    const inGroup = (message: Record<string, unknown>) =>
      toInboundMessage(
        update({ chat: { id: -100999, type: "supergroup" }, from: { id: 555 }, ...message }),
        bot,
      );
    expect(inGroup({ text: "hello all" })).toMatchObject({
      peer: { kind: "group", id: "-100999" },
      mentioned: false,
    });
    expect(
      inGroup({ text: "hey @Claw_Bot look", entities: [{ type: "mention", offset: 4, length: 9 }] })
        ?.mentioned,
    ).toBe(true);
    expect(
      inGroup({ text: "hey @other_bot", entities: [{ type: "mention", offset: 4, length: 10 }] })?.mentioned,
    ).toBe(false);
    expect(inGroup({ text: "sure", reply_to_message: { from: { id: 42 } } })?.mentioned).toBe(true);
    expect(
      inGroup({ text: "/status@claw_bot", entities: [{ type: "bot_command", offset: 0, length: 16 }] })
        ?.mentioned,
    ).toBe(true);
    expect(inGroup({ text: "ping @claw_bot" })?.mentioned).toBe(true);
  });

  it("skips malformed updates", () => {
    for (const message of [
      { from: { id: 1 }, text: "x" },
      { chat: { id: "1", type: "private" }, from: { id: 1 }, text: "x" },
      { chat: { id: 1, type: "private" }, from: {}, text: "x" },
    ])
      expect(toInboundMessage(update(message), bot)).toBeNull();
    expect(toInboundMessage({ update_id: 2 } as TelegramUpdate, bot)).toBeNull();
  });

  it("skips messages from bots, without text, and from channels", () => {
    expect(
      toInboundMessage(
        update({ chat: { id: 1, type: "private" }, from: { id: 1, is_bot: true }, text: "x" }),
        bot,
      ),
    ).toBeNull();
    expect(toInboundMessage(update({ chat: { id: 1, type: "private" }, from: { id: 1 } }), bot)).toBeNull();
    expect(
      toInboundMessage(update({ chat: { id: -1, type: "channel" }, from: { id: 1 }, text: "x" }), bot),
    ).toBeNull();
  });
});
