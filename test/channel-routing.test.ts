import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { checkAccess } from "../src/channels/access.js";
import { resolveAgentRoute, type RouteInput } from "../src/channels/agent-route.js";
import { unhealthyReason, ChannelHealthMonitor } from "../src/channels/health-monitor.js";
import type { ChannelAccountSnapshot } from "../src/channels/account-snapshot.js";
import { chunkIrcText, privmsgTextBytes } from "../src/channels/irc/line-chunker.js";
import { ircSenderMatches } from "../src/channels/irc/index.js";
import { resolveIrcAccount } from "../src/channels/irc/irc-config.js";
import { PAIRING_TTL_MS, PairingStore } from "../src/channels/pairing-store.js";
import type { ChannelAccessPolicy, InboundMessage } from "../src/channels/types.js";
import { validateConfigObject } from "../src/config/load.js";
import { StateStore } from "../src/store/state-store.js";

const policy = (overrides: Partial<ChannelAccessPolicy> = {}): ChannelAccessPolicy => ({
  dmPolicy: "pairing",
  allowFrom: [],
  groupPolicy: "allowlist",
  groupAllowFrom: [],
  groups: {},
  ...overrides,
});

const message = (overrides: Partial<InboundMessage> = {}): InboundMessage => ({
  messageId: "m1",
  peer: { kind: "direct", id: "alice" },
  sender: { id: "alice!a@host", name: "alice" },
  text: "hi",
  mentioned: false,
  ts: 0,
  ...overrides,
});

const decide = (access: ChannelAccessPolicy, msg: InboundMessage, approved = false) =>
  checkAccess({
    policy: access,
    message: msg,
    matches: (entry) => entry === "*" || entry === msg.sender.id,
    approved: () => approved,
  });

const inRoom = (mentioned: boolean, sender = "bob!b@host") =>
  message({ peer: { kind: "group", id: "#room" }, sender: { id: sender }, mentioned });

describe("channel access", () => {
  it("DMs follow dmPolicy: pairing asks unknown senders to pair, approved ones pass", () => {
    expect(decide(policy(), message())).toEqual({ kind: "pair" });
    expect(decide(policy(), message(), true)).toEqual({ kind: "allow" });
    expect(decide(policy({ allowFrom: ["alice!a@host"] }), message())).toEqual({ kind: "allow" });
    expect(decide(policy({ dmPolicy: "allowlist" }), message(), true)).toEqual({
      kind: "drop",
      reason: "dm-not-allowed",
    });
    expect(decide(policy({ dmPolicy: "open" }), message())).toEqual({ kind: "allow" });
    expect(decide(policy({ dmPolicy: "disabled", allowFrom: ["*"] }), message())).toEqual({
      kind: "drop",
      reason: "dm-disabled",
    });
  });

  it("groups follow groupPolicy, the sender lists and mention gating (on by default)", () => {
    expect(decide(policy(), inRoom(true))).toEqual({ kind: "drop", reason: "group-not-allowed" });
    const listed = policy({ groups: { "#room": {} } });
    expect(decide(listed, inRoom(false))).toEqual({ kind: "drop", reason: "missing-mention" });
    expect(decide(listed, inRoom(true))).toEqual({ kind: "allow" });
    expect(decide(policy({ groups: { "#room": { requireMention: false } } }), inRoom(false))).toEqual({
      kind: "allow",
    });
    expect(decide(policy({ groups: { "#room": { allowFrom: ["carol!c@host"] } } }), inRoom(true))).toEqual({
      kind: "drop",
      reason: "sender-not-allowed",
    });
    expect(decide(policy({ groupPolicy: "open", groupAllowFrom: ["bob!b@host"] }), inRoom(true))).toEqual({
      kind: "allow",
    });
    expect(
      decide(policy({ groupPolicy: "open", groups: { "*": { enabled: false } } }), inRoom(true)),
    ).toEqual({
      kind: "drop",
      reason: "group-disabled",
    });
    expect(decide(policy({ groupPolicy: "disabled", groups: { "#room": {} } }), inRoom(true))).toEqual({
      kind: "drop",
      reason: "groups-disabled",
    });
  });

  it("a group named like an object prototype key is not an allowlisted group", () => {
    const msg = message({ peer: { kind: "group", id: "constructor" }, mentioned: true });
    expect(decide(policy(), msg)).toEqual({ kind: "drop", reason: "group-not-allowed" });
  });

  it("IRC allowlist entries match nick!user@host (wildcards allowed); bare nicks only on opt-in", () => {
    const account = resolveIrcAccount(validateConfigObject({}).config, "default", {});
    const sender = { id: "Alice!~alice@host.example", name: "Alice" };
    expect(ircSenderMatches("alice!~alice@host.example", sender, account)).toBe(true);
    expect(ircSenderMatches("alice!*@*.example", sender, account)).toBe(true);
    expect(ircSenderMatches("alice!*@other", sender, account)).toBe(false);
    expect(ircSenderMatches("alice", sender, account)).toBe(false);
    expect(ircSenderMatches("alice", sender, { ...account, dangerouslyAllowNameMatching: true })).toBe(true);
  });
});

describe("agent route", () => {
  const base: RouteInput = {
    bindings: [],
    defaultAgentId: "main",
    knownAgent: (id) => ["main", "work", "ops"].includes(id),
    mainKey: "main",
    dmScope: "main",
    channel: "irc",
    accountId: "default",
    peer: { kind: "direct", id: "Alice" },
  };

  it("keys DM sessions by session.dmScope and groups by their own id", () => {
    expect(resolveAgentRoute(base).sessionKey).toBe("agent:main:main");
    expect(resolveAgentRoute({ ...base, dmScope: "per-peer" }).sessionKey).toBe("agent:main:direct:alice");
    expect(resolveAgentRoute({ ...base, dmScope: "per-channel-peer" }).sessionKey).toBe(
      "agent:main:irc:direct:alice",
    );
    expect(resolveAgentRoute({ ...base, dmScope: "per-account-channel-peer" }).sessionKey).toBe(
      "agent:main:irc:default:direct:alice",
    );
    expect(resolveAgentRoute({ ...base, peer: { kind: "group", id: "#Room" } }).sessionKey).toBe(
      "agent:main:irc:group:#room",
    );
  });

  it("picks the agent by peer, then account, then channel binding, else the default agent", () => {
    const bindings = [
      { agentId: "ops", match: { channel: "irc" } },
      { agentId: "work", match: { channel: "irc", accountId: "default" } },
      { agentId: "main", match: { channel: "irc", peer: { kind: "direct" as const, id: "Alice" } } },
      { agentId: "ghost", match: { channel: "irc", peer: { kind: "direct" as const, id: "Bob" } } },
    ];
    expect(resolveAgentRoute({ ...base, bindings })).toMatchObject({ agentId: "main", matchedBy: "peer" });
    expect(resolveAgentRoute({ ...base, bindings, peer: { kind: "direct", id: "Carol" } })).toMatchObject({
      agentId: "work",
      matchedBy: "account",
    });
    expect(
      resolveAgentRoute({ ...base, bindings, accountId: "other", peer: { kind: "direct", id: "Bob" } }),
    ).toMatchObject({
      agentId: "ops",
      matchedBy: "channel",
    });
    expect(resolveAgentRoute({ ...base, channel: "telegram", bindings })).toMatchObject({
      agentId: "main",
      matchedBy: "default",
    });
  });
});

describe("pairing store", () => {
  let dir: string;
  let store: StateStore;
  let now = 1_000_000;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "coderclaw-pairing-"));
    store = StateStore.open(path.join(dir, "state.db"));
  });
  afterEach(() => {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("issues 8-character codes without 0 O 1 I, one per sender, at most 3 pending per channel, valid 1 h", () => {
    const pairing = new PairingStore(store.database, () => now);
    const first = pairing.request("irc", "default", "a!a@h", "a");
    expect(first.kind).toBe("created");
    const code = first.kind === "created" ? first.request.code : "";
    expect(code).toMatch(/^[A-HJ-NP-Z2-9]{8}$/);
    expect(pairing.request("irc", "default", "a!a@h", "a")).toMatchObject({
      kind: "pending",
      request: { code },
    });
    pairing.request("irc", "default", "b!b@h", null);
    pairing.request("irc", "work", "c!c@h", null);
    expect(pairing.request("irc", "default", "d!d@h", null)).toEqual({ kind: "full" });
    expect(pairing.request("telegram", "default", "42", null).kind).toBe("created");
    now += PAIRING_TTL_MS;
    expect(pairing.pending("irc")).toEqual([]);
    expect(pairing.approve("irc", code)).toBeNull();
  });

  it("approval (any case) allows the sender on that account, survives reopening, and consumes the code", () => {
    const pairing = new PairingStore(store.database, () => now);
    const outcome = pairing.request("irc", "default", "a!a@h", "a");
    const code = outcome.kind === "created" ? outcome.request.code : "";
    expect(pairing.isApproved("irc", "default", "a!a@h")).toBe(false);
    expect(pairing.approve("irc", ` ${code.toLowerCase()} `)).toMatchObject({ senderId: "a!a@h" });
    expect(pairing.approve("irc", code)).toBeNull();
    store.close();
    store = StateStore.open(path.join(dir, "state.db"));
    const reopened = new PairingStore(store.database, () => now);
    expect(reopened.isApproved("irc", "default", "a!a@h")).toBe(true);
    expect(reopened.isApproved("irc", "work", "a!a@h")).toBe(false);
    const rejected = reopened.request("irc", "default", "b!b@h", null);
    expect(reopened.reject("irc", rejected.kind === "created" ? rejected.request.code : "")).toMatchObject({
      senderId: "b!b@h",
    });
    expect(reopened.isApproved("irc", "default", "b!b@h")).toBe(false);
  });
});

describe("IRC line chunker", () => {
  it("keeps each relayed PRIVMSG line within 512 bytes, splitting on words", () => {
    const budget = privmsgTextBytes("clawbot", "#room");
    const text = Array.from({ length: 300 }, (_, i) => `wörd${i}`).join(" ");
    const lines = chunkIrcText(text, budget);
    expect(lines.join(" ")).toBe(text);
    for (const line of lines) {
      const relayed = `:clawbot!${"u".repeat(10)}@${"h".repeat(63)} PRIVMSG #room :${line}\r\n`;
      expect(Buffer.byteLength(relayed)).toBeLessThanOrEqual(512);
    }
  });

  it("gives each text line its own IRC line and cuts only words longer than a line", () => {
    expect(chunkIrcText("one\ntwo  three\n\n", 100)).toEqual(["one", "two three"]);
    expect(chunkIrcText("x".repeat(25), 10)).toEqual(["xxxxxxxxxx", "xxxxxxxxxx", "xxxxx"]);
    expect(chunkIrcText("ééééé", 4)).toEqual(["éé", "éé", "é"]);
  });
});

describe("channel health monitor", () => {
  const snapshot = (overrides: Partial<ChannelAccountSnapshot>): ChannelAccountSnapshot =>
    ({ state: "running", connected: true, lastStartAt: 0, ...overrides }) as ChannelAccountSnapshot;

  it("restarts a running but disconnected account, or a hung start, at most once per two intervals and 3 an hour", () => {
    expect(unhealthyReason(snapshot({}), 0, 300_000)).toBeNull();
    expect(unhealthyReason(snapshot({ state: "reconnecting", connected: false }), 0, 300_000)).toBeNull();
    expect(unhealthyReason(snapshot({ connected: false }), 0, 300_000)).toBe("running but not connected");
    expect(unhealthyReason(snapshot({ state: "starting", lastStartAt: 0 }), 300_001, 300_000)).toBe(
      "start has not finished",
    );

    let now = 0;
    const restarts: string[] = [];
    const monitor = new ChannelHealthMonitor({
      intervalMs: () => 300_000,
      accounts: () => [
        {
          channel: "irc",
          accountId: "default",
          snapshot: () => snapshot({ connected: false }),
          send: (e) => restarts.push(e.reason),
        },
      ],
      log: { error() {}, warn() {}, info() {}, debug() {}, trace() {} },
      now: () => now,
    });
    const checks: number[] = [];
    for (let i = 0; i < 12; i++) {
      checks.push(monitor.check().length);
      now += 300_000;
    }
    // Checks every 5 min for an hour: a restart at 0, 10, 20 min, then the hourly cap holds until 60 min.
    expect(checks).toEqual([1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    expect(restarts[0]).toBe("health-monitor: running but not connected");
  });
});
