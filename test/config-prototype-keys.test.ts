import fs from "node:fs";
import { useGateway } from "./helpers/gateway-fixture.js";
import {
  killAll,
  localConfig,
  makeTempHome,
  runCli,
  startGateway,
  type TempHome,
} from "./helpers/gateway-process.js";
import type { WsPeer } from "./helpers/ws-peer.js";

const FORBIDDEN = /__proto__, constructor and prototype cannot be config keys/;

describe("config writes never reach an object prototype (RPC)", () => {
  const fixture = useGateway(localConfig({ reload: { mode: "off" } }));

  async function admin(): Promise<{ peer: WsPeer; hash: string }> {
    const peer = await fixture.connected({ scopes: ["operator.admin"] });
    const snapshot = await peer.request("config.get");
    return { peer, hash: (snapshot.payload as { hash: string }).hash };
  }

  /** After a refused write: the file is unchanged, requests and new connections still work. */
  async function expectGatewayUnharmed(before: string) {
    expect(fs.readFileSync(fixture.home.configPath, "utf8")).toBe(before);
    const fresh = await fixture.connected();
    expect((await fresh.request("health")).ok).toBe(true);
    expect((await fresh.request("status")).ok).toBe(true);
  }

  it.each([
    ["__proto__.polluted", true],
    ["constructor.prototype.polluted", true],
    ["gateway.__proto__.polluted", true],
    ["gateway.constructor", "x"],
  ])("refuses config.set of %s with INVALID_REQUEST naming the path", async (keyPath, value) => {
    const before = fs.readFileSync(fixture.home.configPath, "utf8");
    const { peer, hash } = await admin();
    const res = await peer.request("config.set", { path: keyPath, value, baseHash: hash });
    expect(res.ok).toBe(false);
    expect(res.error?.code).toBe("INVALID_REQUEST");
    expect(res.error?.message).toContain(keyPath);
    expect(res.error?.message).toMatch(FORBIDDEN);
    expect((await peer.request("health")).ok).toBe(true);
    await expectGatewayUnharmed(before);
  });

  it("refuses config.set whose JSON value holds a __proto__ key", async () => {
    const before = fs.readFileSync(fixture.home.configPath, "utf8");
    const { peer, hash } = await admin();
    const value = JSON.parse('{"mode":"off","__proto__":{"polluted":true}}');
    const res = await peer.request("config.set", { path: "gateway.reload", value, baseHash: hash });
    expect(res.error?.code).toBe("INVALID_REQUEST");
    expect(res.error?.message).toContain("gateway.reload.__proto__");
    await expectGatewayUnharmed(before);
  });

  it("refuses config.patch and config.apply with a forbidden key anywhere inside", async () => {
    const before = fs.readFileSync(fixture.home.configPath, "utf8");
    const { peer, hash } = await admin();
    const patch = JSON.parse('{"gateway":{"__proto__":{"polluted":true}}}');
    const patched = await peer.request("config.patch", { patch, baseHash: hash });
    expect(patched.error?.code).toBe("INVALID_REQUEST");
    expect(patched.error?.message).toContain("gateway.__proto__");
    const config = JSON.parse(before);
    config.gateway.controlUi = JSON.parse('{"constructor":{"prototype":{"polluted":true}}}');
    const applied = await peer.request("config.apply", { config, baseHash: hash });
    expect(applied.error?.code).toBe("INVALID_REQUEST");
    expect(applied.error?.message).toContain("gateway.controlUi.constructor");
    await expectGatewayUnharmed(before);
  });
});

describe("config files and the CLI never reach an object prototype", () => {
  let home: TempHome;
  beforeEach(() => {
    home = makeTempHome();
  });
  afterEach(async () => {
    await killAll();
    home.cleanup();
  });

  it("`coderclaw config set` refuses a forbidden key in the path or inside the JSON5 value", async () => {
    home.writeConfig(localConfig());
    const before = fs.readFileSync(home.configPath, "utf8");
    const byPath = await runCli(["config", "set", "__proto__.polluted", "true"], home.env);
    expect(byPath.code).toBe(1);
    expect(byPath.stderr).toContain("__proto__.polluted");
    expect(byPath.stderr).toMatch(FORBIDDEN);
    const byValue = await runCli(
      ["config", "set", "gateway.reload", "{__proto__: {polluted: true}}"],
      home.env,
    );
    expect(byValue.code).toBe(1);
    expect(byValue.stderr).toContain("gateway.reload.__proto__");
    expect(byValue.stderr).toMatch(FORBIDDEN);
    expect(fs.readFileSync(home.configPath, "utf8")).toBe(before);
  });

  it("a JSON5 file with a __proto__ key is an invalid config: the gateway refuses to start and says where", async () => {
    fs.mkdirSync(home.stateDir, { recursive: true });
    fs.writeFileSync(
      home.configPath,
      `{ gateway: { mode: "local", auth: { token: "t-0123456789abcdef" }, __proto__: { port: 1 } } }\n`,
    );
    const result = await runCli(["gateway", "--port", "0"], home.env);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(home.configPath);
    expect(result.stderr).toContain("gateway.__proto__");
    expect(result.stderr).toMatch(FORBIDDEN);
  });

  it("a running gateway keeps its config when the file gains a __proto__ key", async () => {
    home.writeConfig(localConfig({ reload: { mode: "hot", debounceMs: 50 } }));
    const gateway = await startGateway(home.env);
    try {
      fs.writeFileSync(
        home.configPath,
        `{ gateway: { mode: "local", auth: { token: "test-token-0123456789abcdef" }, reload: { mode: "hot", debounceMs: 50 }, tickIntervalMs: 999, constructor: { prototype: { x: 1 } } } }\n`,
      );
      const deadline = Date.now() + 5_000;
      while (!/gateway\.constructor/.test(gateway.output().stdout + gateway.output().stderr)) {
        if (Date.now() > deadline) throw new Error(`no reload error:\n${gateway.output().stdout}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const health = await runCli(
        ["health", "--url", gateway.url, "--token", "test-token-0123456789abcdef"],
        home.env,
      );
      expect(health.code).toBe(0);
    } finally {
      await gateway.stop();
    }
  });
});
