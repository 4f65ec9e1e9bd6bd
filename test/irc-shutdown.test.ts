/** Stopping the gateway while an IRC reply is being produced: the reply goes out before the bot quits. */
import path from "node:path";
import type { ChannelsStatus } from "../src/channels/account-snapshot.js";
import { StateStore } from "../src/store/state-store.js";
import {
  killAll,
  localConfig,
  makeTempHome,
  startGateway,
  TEST_TOKEN,
  type TempHome,
} from "./helpers/gateway-process.js";
import { IrcHuman } from "./helpers/irc-human.js";
import { startNgircd, type Ngircd } from "./helpers/ngircd.js";
import { WsPeer } from "./helpers/ws-peer.js";

jest.setTimeout(60_000);

const BOT = "stopbot";
let ngircd: Ngircd;
let home: TempHome;
let carol: IrcHuman | undefined;

beforeAll(async () => {
  ngircd = await startNgircd(["#room"]);
  home = makeTempHome();
});

afterAll(async () => {
  carol?.close();
  await killAll();
  await ngircd?.stop();
  home?.cleanup();
});

describe("gateway stop with an IRC reply in flight", () => {
  it("delivers the reply, records both messages, then quits IRC", async () => {
    home.writeConfig(
      localConfig(
        {},
        {
          // About 1.5 s of output: the stop arrives while the run is streaming.
          providers: { slow: { type: "echo", delayMs: 100 } },
          agents: { defaults: { model: "slow" } },
          channels: {
            irc: { host: "127.0.0.1", port: ngircd.port, tls: false, nick: BOT, dmPolicy: "open" },
          },
        },
      ),
    );
    const gateway = await startGateway(home.env);
    const operator = await WsPeer.open(gateway.url);
    expect((await operator.connect({ auth: { token: TEST_TOKEN } })).ok).toBe(true);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const status = await operator.request("channels.status", {});
      const account = (status.payload as ChannelsStatus).channelAccounts.irc?.[0];
      if (account?.connected) break;
      if (Date.now() > deadline) throw new Error(`the bot never connected: ${JSON.stringify(account)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    carol = await IrcHuman.connect(ngircd.port, "carol");
    const text = Array.from({ length: 15 }, (_, index) => `part${index}`).join(" ");
    carol.say(BOT, text);
    // The run is streaming: its first words are out.
    await operator.until(() => operator.events("agent").length > 2, 15_000, "the run streaming");
    operator.close();
    const stopped = await gateway.stop();
    expect(stopped.code).toBe(0);

    const [reply] = await carol.messagesFrom(BOT, 1, 0, 5_000);
    expect(reply?.text).toBe(text);
    // And the bot has left the server (the gateway quit IRC on its way out).
    carol.write(`WHOIS ${BOT}`);
    await carol.waitForRaw((line) => new RegExp(` 401 carol ${BOT} `, "i").test(line));

    const store = StateStore.openReadOnly(path.join(home.stateDir, "state.db"));
    try {
      const session = store.getSession("agent:main:main");
      const messages = store.history(session!.sessionId, 10);
      expect(messages.map((message) => [message.role, message.text, message.channel, message.peer])).toEqual([
        ["user", text, "irc", "carol"],
        ["assistant", text, "irc", "carol"],
      ]);
    } finally {
      store.close();
    }
  });
});
