import { validateConfigObject } from "../src/config/load.js";

const issuesOf = (config: Record<string, unknown>) => validateConfigObject(config).issues;

describe("channels, bindings and session.dmScope in the config", () => {
  it("accepts channel sections with the shared access keys and accounts, and applies the defaults", () => {
    const { issues, config } = validateConfigObject({
      channels: {
        irc: {
          host: "irc.example.com",
          dmPolicy: "allowlist",
          allowFrom: ["alice!a@host"],
          groups: { "#room": { requireMention: false, allowFrom: ["*"] } },
          accounts: { work: { enabled: false, groupPolicy: "open" } },
        },
      },
      bindings: [{ agentId: "main", match: { channel: "irc", peer: { kind: "direct", id: "alice" } } }],
      session: { dmScope: "per-channel-peer" },
    });
    expect(issues).toEqual([]);
    expect(config.session.dmScope).toBe("per-channel-peer");
    expect(config.gateway.channelHealthCheckMinutes).toBe(5);
    expect(validateConfigObject({}).config.session.dmScope).toBe("main");
  });

  it("names each bad value with its path", () => {
    expect(
      issuesOf({
        channels: {
          irc: {
            dmPolicy: "everyone",
            allowFrom: "alice",
            groups: { "#room": { requireMention: "yes" } },
            accounts: { __proto__x: {}, "bad id": {} },
          },
          "Bad-Channel": {},
        },
        bindings: [{ match: { channel: "irc", peer: { kind: "dm" } } }],
        session: { dmScope: "per-everything" },
      }).map((issue) => issue.path),
    ).toEqual(
      expect.arrayContaining([
        "channels.irc.dmPolicy",
        "channels.irc.allowFrom",
        "channels.irc.groups.#room.requireMention",
        "channels.irc.accounts.bad id",
        "channels.Bad-Channel",
        "bindings[0].agentId",
        "bindings[0].match.peer",
        "session.dmScope",
      ]),
    );
  });

  it("refuses a prototype key as a channel or account id", () => {
    const asChannel = JSON.parse('{"channels": {"__proto__": {"enabled": true}}}');
    expect(issuesOf(asChannel).map((issue) => issue.path)).toContain("channels.__proto__");
    const asAccount = JSON.parse('{"channels": {"irc": {"accounts": {"__proto__": {}}}}}');
    expect(issuesOf(asAccount).map((issue) => issue.path)).toContain("channels.irc.accounts.__proto__");
  });
});
