import { diffConfigPaths } from "../src/config/diff.js";
import { classifyChanges, RELOAD_RULES, ruleFor } from "../src/config/reload-rules.js";
import { configSchema, schemaLeafPaths } from "../src/config/schema.js";

describe("reload rule table", () => {
  it("has an explicit rule for every leaf of the config schema", () => {
    const uncovered = schemaLeafPaths(configSchema).filter(
      (leaf) => !RELOAD_RULES.some((rule) => leaf === rule.prefix || leaf.startsWith(`${rule.prefix}.`)),
    );
    expect(uncovered).toEqual([]);
  });

  it("takes the first matching prefix: gateway.reload is none although gateway restarts", () => {
    expect(ruleFor("gateway.reload.debounceMs").kind).toBe("none");
    expect(ruleFor("gateway.port").kind).toBe("restart");
    expect(ruleFor("logging.level").kind).toBe("hot");
    expect(ruleFor("logging.file").kind).toBe("restart");
    expect(ruleFor("gateway.tls.enabled").kind).toBe("restart");
    expect(ruleFor("gateway.tls.certPath").kind).toBe("restart");
    expect(ruleFor("gateway.remote.tlsFingerprint").kind).toBe("none");
  });

  it("matches whole path segments only", () => {
    expect(ruleFor("gateway.remoteness").kind).toBe("restart");
  });

  it("restarts for paths it does not know", () => {
    expect(ruleFor("somethingNew.key").kind).toBe("restart");
  });

  it("classifies a batch into hot, restart and none", () => {
    expect(classifyChanges(["providers.x", "gateway.port", "gateway.remote.url"])).toEqual({
      changed: ["providers.x", "gateway.port", "gateway.remote.url"],
      hot: ["providers.x"],
      restart: ["gateway.port"],
      none: ["gateway.remote.url"],
    });
  });
});

describe("config diff", () => {
  it("reports changed leaves as dotted paths", () => {
    expect(diffConfigPaths({ a: { b: 1, c: 2 } }, { a: { b: 1, c: 3 } })).toEqual(["a.c"]);
  });

  it("reports added and removed keys", () => {
    expect(diffConfigPaths({ a: { x: 1 } }, { a: { y: 1 } }).sort()).toEqual(["a.x", "a.y"]);
  });

  it("compares arrays as a whole", () => {
    expect(diffConfigPaths({ list: [1, 2] }, { list: [1, 2] })).toEqual([]);
    expect(diffConfigPaths({ list: [1, 2] }, { list: [2, 1] })).toEqual(["list"]);
    expect(diffConfigPaths({ list: [{ id: "a" }] }, { list: [{ id: "b" }] })).toEqual(["list"]);
  });

  it("reports a type change at the path where it happens", () => {
    expect(diffConfigPaths({ a: { b: 1 } }, { a: 5 })).toEqual(["a"]);
    expect(diffConfigPaths(1, 2)).toEqual(["<root>"]);
  });
});

describe("channel reload rules", () => {
  it("classifies a change under channels.<id> as hot: that channel's accounts restart, not the gateway", () => {
    expect(ruleFor("channels.irc.host").kind).toBe("hot");
    expect(ruleFor("channels.telegram.accounts.work.botToken").kind).toBe("hot");
    expect(ruleFor("bindings").kind).toBe("hot");
    expect(ruleFor("session.dmScope").kind).toBe("hot");
    expect(ruleFor("gateway.channelHealthCheckMinutes").kind).toBe("hot");
    expect(classifyChanges(["channels.irc.nick", "gateway.port"]).restart).toEqual(["gateway.port"]);
  });

  it("reports the changed channel's own paths, so only that channel is restarted", () => {
    const before = { channels: { irc: { host: "a", nick: "bot" }, telegram: { botToken: "x" } } };
    const after = { channels: { irc: { host: "b", nick: "bot" }, telegram: { botToken: "x" } } };
    expect(diffConfigPaths(before, after)).toEqual(["channels.irc.host"]);
  });
});
