/**
 * The IRC channel against a real ngircd: one server and one gateway for the file, a raw-socket IRC
 * client playing the person, the real CLI for status and pairing.
 */
import type { ChannelsStatus } from "../src/channels/account-snapshot.js";
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
import { IrcHuman } from "./helpers/irc-human.js";
import { startNgircd, type Ngircd } from "./helpers/ngircd.js";
import { WsPeer } from "./helpers/ws-peer.js";

jest.setTimeout(60_000);

interface ActorNode {
  id: string;
  machine: string | null;
  state: unknown;
  children: ActorNode[];
}

const BOT = "clawbot";
const HOOK_TOKEN = "irc-test-hook-secret";
let ngircd: Ngircd;
let home: TempHome;
let gateway: GatewayProcess;
let env: NodeJS.ProcessEnv;
const humans: IrcHuman[] = [];
const peers: WsPeer[] = [];

async function human(nick: string): Promise<IrcHuman> {
  const person = await IrcHuman.connect(ngircd.port, nick);
  humans.push(person);
  return person;
}

async function operator(): Promise<WsPeer> {
  const peer = await WsPeer.open(gateway.url);
  peers.push(peer);
  const res = await peer.connect({ auth: { token: TEST_TOKEN } });
  if (!res.ok) throw new Error(`connect failed: ${JSON.stringify(res.error)}`);
  return peer;
}

async function channelsStatus(probe = false): Promise<ChannelsStatus> {
  const result = await runCli(["channels", "status", "--json", ...(probe ? ["--probe"] : [])], env);
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as ChannelsStatus;
}

async function untilConnected(timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const account = (await channelsStatus()).channelAccounts.irc?.[0];
    if (account?.running && account.connected) return;
    if (Date.now() > deadline) throw new Error(`IRC account not connected: ${JSON.stringify(account)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

beforeAll(async () => {
  ngircd = await startNgircd(["#room"]);
  home = makeTempHome();
  home.writeConfig(
    localConfig(
      {},
      {
        providers: { quick: { type: "echo", delayMs: 1 } },
        agents: { defaults: { model: "quick" } },
        hooks: { enabled: true, token: HOOK_TOKEN },
        channels: {
          irc: {
            host: "127.0.0.1",
            port: ngircd.port,
            tls: false,
            nick: BOT,
            channels: ["#room"],
            groups: { "#room": {} },
          },
        },
      },
    ),
  );
  gateway = await startGateway(home.env);
  env = { ...home.env, CODERCLAW_GATEWAY_PORT: String(gateway.port) };
  await untilConnected();
});

afterEach(() => {
  peers.splice(0).forEach((peer) => peer.close());
});

afterAll(async () => {
  humans.splice(0).forEach((person) => person.close());
  await gateway?.stop();
  await killAll();
  await ngircd?.stop();
  home?.cleanup();
});

describe("IRC channel against ngircd", () => {
  it("channels status --probe --json shows the account running, connected and answering", async () => {
    const status = await channelsStatus(true);
    expect(status.channelOrder).toContain("irc");
    expect(status.channelLabels.irc).toBe("IRC");
    expect(status.channelDefaultAccountId.irc).toBe("default");
    expect(status.channelAccounts.irc?.[0]).toMatchObject({
      accountId: "default",
      enabled: true,
      configured: true,
      running: true,
      connected: true,
      state: "running",
      dmPolicy: "pairing",
      self: BOT,
      probe: { ok: true },
    });
    // The account is an actor under the gateway in the inspector's tree.
    const peer = await operator();
    const tree = await peer.request("inspect.snapshot", {});
    const find = (nodes: ActorNode[]): ActorNode | undefined =>
      nodes.map((node) => (node.id === "channel:irc:default" ? node : find(node.children))).find(Boolean);
    const gatewayNode = find(
      (tree.payload as { actors: ActorNode[] }).actors.flatMap((node) => node.children),
    );
    expect(gatewayNode).toMatchObject({ id: "channel:irc:default", machine: "channel", state: "running" });

    const text = await runCli(["channels", "status"], env);
    expect(text.stdout).toMatch(/- IRC default: enabled, configured, running, connected, .*dm:pairing/);
  });

  it("an unknown DM sender gets a pairing code; once approved with the CLI, the agent answers", async () => {
    const alice = await human("alice");
    alice.say(BOT, "hello bot");
    const pairing = await alice.messagesFrom(BOT, 4);
    const code = /Pairing code: ([A-HJ-NP-Z2-9]{8})$/.exec(
      pairing
        .map((line) => line.text)
        .join("\n")
        .split("\n")[2] ?? "",
    )?.[1];
    expect(pairing.map((line) => line.text)).toEqual([
      "CoderClaw: access not configured.",
      expect.stringMatching(/^Your ID: alice!~?alice@/),
      expect.stringMatching(/^Pairing code: [A-HJ-NP-Z2-9]{8}$/),
      expect.stringMatching(
        /^Ask the bot owner to approve with: coderclaw pairing approve irc [A-HJ-NP-Z2-9]{8}$/,
      ),
    ]);
    expect(code).toBeDefined();

    // Asking again before approval: no second code, and the message is not processed.
    alice.say(BOT, "are you there?");
    const listed = await runCli(["pairing", "list", "irc", "--json"], env);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).requests).toEqual([
      expect.objectContaining({
        code,
        channel: "irc",
        accountId: "default",
        senderId: expect.stringMatching(/^alice!/),
      }),
    ]);

    const approved = await runCli(["pairing", "approve", "irc", code!.toLowerCase()], env);
    expect(approved.stdout).toMatch(/^Approved irc sender alice!/);
    expect(approved.code).toBe(0);
    const again = await runCli(["pairing", "approve", "irc", code!], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`No pending pairing request found for code: ${code}`);

    const before = alice.received.length;
    alice.say(BOT, "hello again");
    const [reply] = await alice.messagesFrom(BOT, 1, before);
    expect(reply).toMatchObject({ target: "alice", text: "hello again" });
    expect(alice.received.slice(4, before)).toEqual([]);

    // Both sides of the exchange are in the session transcript, with channel and peer.
    const peer = await operator();
    const history = await peer.request("chat.history", { sessionKey: "agent:main:main" });
    expect(history.payload).toMatchObject({
      messages: expect.arrayContaining([
        expect.objectContaining({ role: "user", channel: "irc", accountId: "default", peer: "alice" }),
        expect.objectContaining({ role: "assistant", channel: "irc", peer: "alice" }),
      ]),
    });
    const texts = (
      history.payload as { messages: Array<{ role: string; content: unknown; peer?: string }> }
    ).messages
      .filter((message) => message.peer === "alice")
      .map((message) => message.role);
    expect(texts).toEqual(["user", "assistant"]);
  });

  it("in a channel, a message that mentions the bot gets a reply and one without a mention none", async () => {
    const bob = await human("bob");
    await bob.join("#room");
    const before = bob.received.length;
    bob.say("#room", "just chatting, nobody in particular");
    bob.say("#room", `${BOT}: what is up`);
    const [reply] = await bob.messagesFrom(BOT, 1, before);
    expect(reply).toMatchObject({ target: "#room", text: "what is up" });
    // A fixed window on purpose: no second reply may come within 1 s.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(bob.received.slice(before).filter((line) => line.from === BOT)).toHaveLength(1);
  });

  it("a webhook's agent run delivers its reply to an IRC chat", async () => {
    const carol = await human("carol");
    const before = carol.received.length;
    const res = await fetch(`http://127.0.0.1:${gateway.port}/hooks/agent`, {
      method: "POST",
      headers: { authorization: `Bearer ${HOOK_TOKEN}`, "content-type": "application/json" },
      // next-heartbeat: the summary only lands in the main session, whose DMs belong to other tests here.
      body: JSON.stringify({
        message: "build 42 passed",
        name: "CI",
        channel: "irc",
        to: "carol",
        wakeMode: "next-heartbeat",
      }),
    });
    expect(res.status).toBe(202);
    const [reply] = await carol.messagesFrom(BOT, 1, before);
    expect(reply).toMatchObject({ target: "carol", text: "build 42 passed" });
  });

  it("a long reply arrives whole, in order, in lines of at most 512 bytes", async () => {
    const alice = humans.find((person) => person.nick === "alice")!;
    const words = Array.from({ length: 400 }, (_, index) => `word${index}-ünï`);
    const text = words.join(" ");
    expect(Buffer.byteLength(text)).toBeGreaterThan(4_000);
    const before = alice.received.length;
    // Short enough that the echo comes back as one line: only the long reply may follow `start`.
    alice.say(BOT, text.slice(0, 200));
    // One message carries at most one IRC line: the long text goes in through `agent` with deliver.
    await alice.messagesFrom(BOT, 1, before);
    const peer = await operator();
    const start = alice.received.length;
    const accepted = await peer.request("agent", {
      message: text,
      idempotencyKey: "long-reply-1",
      sessionKey: "agent:main:main",
      deliver: true,
    });
    expect(accepted.ok).toBe(true);
    const expectedLines = Math.ceil(Buffer.byteLength(text) / 430);
    const deadline = Date.now() + 30_000;
    while (
      alice.received
        .slice(start)
        .map((line) => line.text)
        .join(" ") !== text
    ) {
      if (Date.now() > deadline)
        throw new Error(
          `the long reply did not arrive whole: ${JSON.stringify(alice.received.slice(start)).slice(0, 600)}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const lines = alice.received.slice(start);
    expect(lines.length).toBeGreaterThanOrEqual(expectedLines);
    for (const line of lines) {
      expect(line.bytes).toBeLessThanOrEqual(512);
      expect(line.text).not.toMatch(/^\s|\s$/);
    }
    // Split on word boundaries only.
    expect(lines.flatMap((line) => line.text.split(" "))).toEqual(words);
  });

  it("a change under channels.irc restarts only the IRC account; clients stay connected", async () => {
    const peer = await operator();
    const before = (await channelsStatus()).channelAccounts.irc?.[0];
    home.writeConfig(
      localConfig(
        {},
        {
          providers: { quick: { type: "echo", delayMs: 1 } },
          agents: { defaults: { model: "quick" } },
          channels: {
            irc: {
              host: "127.0.0.1",
              port: ngircd.port,
              tls: false,
              nick: BOT,
              channels: ["#room"],
              groups: { "#room": {}, "#other": {} },
            },
          },
        },
      ),
    );
    const deadline = Date.now() + 20_000;
    for (;;) {
      const account = (await channelsStatus()).channelAccounts.irc?.[0];
      if (account?.connected && (account.lastStartAt ?? 0) > (before?.lastStartAt ?? 0)) break;
      if (Date.now() > deadline) throw new Error(`IRC account not restarted: ${JSON.stringify(account)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const health = await peer.request("health", {});
    expect(health.ok).toBe(true);
    expect(peer.events("shutdown")).toEqual([]);
  });

  it("after the server goes away and comes back, the account reconnects, rejoins and messages flow again", async () => {
    humans.splice(0).forEach((person) => person.close());
    await ngircd.kill();
    const down = (await channelsStatus()).channelAccounts.irc?.[0];
    await ngircd.start();
    expect(down?.state).toMatch(/reconnecting|starting|running/);
    await untilConnected(30_000);
    const reconnecting = (await channelsStatus()).channelAccounts.irc?.[0];
    expect(reconnecting).toMatchObject({ running: true, connected: true });

    const alice = await human("alice");
    alice.say(BOT, "back again");
    const [reply] = await alice.messagesFrom(BOT, 1);
    expect(reply).toMatchObject({ text: "back again" });
    const bob = await human("bob");
    await bob.join("#room");
    bob.say("#room", `${BOT}, still in the room?`);
    const [roomReply] = await bob.messagesFrom(BOT, 1);
    expect(roomReply).toMatchObject({ target: "#room", text: "still in the room?" });
  });

  it("measures inbound-to-reply latency over 100 DMs", async () => {
    const alice = humans.find((person) => person.nick === "alice")!;
    const samples: number[] = [];
    for (let index = 0; index < 100; index++) {
      const before = alice.received.length;
      const sentAt = Date.now();
      alice.say(BOT, `ping ${index}`);
      const [reply] = await alice.messagesFrom(BOT, 1, before);
      expect(reply?.text).toBe(`ping ${index}`);
      samples.push(reply!.at - sentAt);
      // A person types: the server's flood control would otherwise throttle the sender, not us.
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    samples.sort((a, b) => a - b);
    const p50 = samples[49]!;
    const p99 = samples[98]!;
    console.log(`IRC inbound-to-reply latency (echo agent, 100 DMs): p50 ${p50} ms, p99 ${p99} ms`);
    expect(p50).toBeLessThan(2_000);
  }, 180_000);
  it("channels.logout stops the account; an unknown channel is a bad request", async () => {
    const peer = await operator();
    const unknown = await peer.request("channels.logout", { channel: "smoke-signals" });
    expect(unknown.error).toMatchObject({
      code: "INVALID_REQUEST",
      message: "unknown channel: smoke-signals",
    });
    const logout = await peer.request("channels.logout", { channel: "irc" });
    expect(logout.payload).toEqual({ channel: "irc", accountId: "default", cleared: false, loggedOut: true });
    const account = (await channelsStatus()).channelAccounts.irc?.[0];
    expect(account).toMatchObject({ state: "stopped", running: false, connected: false });
  });
});
