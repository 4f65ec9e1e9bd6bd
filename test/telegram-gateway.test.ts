/**
 * Telegram in a real gateway process against the Bot API wire-format server (one of each for the
 * file): the account polls with its token, the token stays out of config output and logs.
 */
import fs from "node:fs";
import path from "node:path";
import { REDACTED } from "../src/config/redact.js";
import { startFakeTelegram, type FakeTelegramServer } from "./helpers/fake-telegram-server.js";
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

const USER = 7770001;

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
              dmPolicy: "allowlist",
              allowFrom: [String(USER)],
            },
          },
        },
      ),
    );
    gateway = await startGateway(home.env);
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
});
