import { validateConfigObject } from "../src/config/load.js";
import { runCli } from "./helpers/gateway-process.js";
import { killSpawned, spawnCli, useCliHomes } from "./helpers/start-tools.js";
import { WsPeer } from "./helpers/ws-peer.js";

const PROXY_AUTH = {
  mode: "trusted-proxy",
  trustedProxy: {
    userHeader: "X-Forwarded-User",
    requiredHeaders: ["x-forwarded-proto"],
    allowUsers: ["alice"],
  },
};

describe('auth mode "trusted-proxy"', () => {
  const homes = useCliHomes();
  const peers: WsPeer[] = [];
  afterEach(async () => {
    peers.splice(0).forEach((peer) => peer.close());
    await killSpawned();
  });

  async function refusal(gateway: Record<string, unknown>): Promise<string> {
    const home = homes.empty();
    home.writeConfig({ gateway: { mode: "local", auth: PROXY_AUTH, ...gateway } });
    const result = await runCli(["gateway", "--port", "0"], home.env);
    expect(result.code).toBe(1);
    return result.stderr;
  }

  it("refuses to start on loopback, without trusted proxies, or without the user header setting", async () => {
    expect(await refusal({ trustedProxies: ["127.0.0.1"] })).toContain(
      "gateway auth mode=trusted-proxy makes no sense with bind=loopback; use bind=lan or bind=custom with gateway.trustedProxies configured",
    );
    expect(await refusal({ bind: "lan" })).toContain(
      "gateway auth mode=trusted-proxy requires gateway.trustedProxies to be configured with at least one proxy IP",
    );
    expect(
      await refusal({ bind: "lan", trustedProxies: ["127.0.0.1"], auth: { mode: "trusted-proxy" } }),
    ).toContain("gateway auth mode=trusted-proxy requires gateway.auth.trustedProxy.userHeader");
  });

  it("checks the trustedProxy settings with their paths", () => {
    const { issues } = validateConfigObject({
      gateway: { auth: { trustedProxy: { requiredHeaders: "x-a", allowUsers: [1], team: "x" } } },
    });
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: "gateway.auth.trustedProxy.userHeader", message: "must be a non-empty header name" },
        { path: "gateway.auth.trustedProxy.requiredHeaders", message: "must be an array of strings" },
        { path: "gateway.auth.trustedProxy.allowUsers", message: "must be an array of strings" },
        { path: "gateway.auth.trustedProxy.team", message: "unknown key" },
      ]),
    );
  });

  it("lets in the allowed user the trusted proxy vouches for, and no one else", async () => {
    const home = homes.empty();
    home.writeConfig({
      gateway: { mode: "local", bind: "lan", trustedProxies: ["127.0.0.1"], auth: PROXY_AUTH },
    });
    const gateway = spawnCli(["gateway", "--port", "0"], home.env);
    const [, port] = await gateway.waitFor(/listening on ws:\/\/0\.0\.0\.0:(\d+)/);
    await gateway.waitFor(/gateway ready/);
    const connect = async (headers: Record<string, string>) => {
      const peer = await WsPeer.open(`ws://127.0.0.1:${port}`, { headers });
      peers.push(peer);
      return peer.connect({});
    };

    const alice = await connect({ "X-Forwarded-User": "alice", "X-Forwarded-Proto": "https" });
    expect(alice.ok).toBe(true);
    expect(alice.payload.snapshot.authMode).toBe("trusted-proxy");

    const refused = { code: "NOT_PAIRED", message: "device identity required" };
    expect((await connect({ "X-Forwarded-User": "bob", "X-Forwarded-Proto": "https" })).error).toEqual(
      refused,
    );
    expect((await connect({ "X-Forwarded-User": "alice" })).error).toEqual(refused);
    expect((await connect({ "X-Forwarded-Proto": "https" })).error).toEqual(refused);

    gateway.child.kill("SIGTERM");
    expect(await gateway.exited).toEqual({ code: 0, signal: null });
  });
});
