import path from "node:path";
import { validateConfigObject } from "../src/config/load.js";
import { clientIpOf, TrustedProxies } from "../src/transport/trusted-proxies.js";
import { useGateway } from "./helpers/gateway-fixture.js";
import { localConfig, TEST_TOKEN } from "./helpers/gateway-process.js";
import { loggedLine } from "./helpers/in-process.js";

const LOCKED_OUT = "unauthorized: too many failed authentication attempts (retry later)";

describe("TrustedProxies", () => {
  it("matches addresses, IPv4 CIDR blocks, and IPv4 written as IPv4-mapped IPv6", () => {
    const proxies = new TrustedProxies(["10.0.0.5", "192.168.8.0/22", "fd00::1"]);
    expect(proxies.includes("10.0.0.5")).toBe(true);
    expect(proxies.includes("::ffff:10.0.0.5")).toBe(true);
    expect(proxies.includes("192.168.8.1")).toBe(true);
    expect(proxies.includes("192.168.11.254")).toBe(true);
    expect(proxies.includes("192.168.12.1")).toBe(false);
    expect(proxies.includes("FD00::1")).toBe(true);
    expect(proxies.includes("10.0.0.6")).toBe(false);
    expect(new TrustedProxies([]).configured).toBe(false);
  });

  it("names the client by the first X-Forwarded-For entry, else X-Real-IP, only for a trusted peer", () => {
    const proxies = new TrustedProxies(["10.0.0.5"]);
    const xff = { "x-forwarded-for": "203.0.113.9, 10.0.0.7", "x-real-ip": "198.51.100.1" };
    expect(clientIpOf("10.0.0.5", xff, proxies)).toBe("203.0.113.9");
    expect(clientIpOf("10.0.0.5", { "x-real-ip": "198.51.100.1" }, proxies)).toBe("198.51.100.1");
    expect(clientIpOf("10.0.0.5", { "x-forwarded-for": "not-an-ip" }, proxies)).toBe("10.0.0.5");
    expect(clientIpOf("10.0.0.5", {}, proxies)).toBe("10.0.0.5");
    expect(clientIpOf("10.9.9.9", xff, proxies)).toBe("10.9.9.9");
  });

  it("rejects config entries that are not an IP address or IPv4 CIDR, naming each", () => {
    expect(validateConfigObject({ gateway: { trustedProxies: ["10.0.0.0/8", "::1"] } }).issues).toEqual([]);
    const { issues } = validateConfigObject({ gateway: { trustedProxies: ["proxy.lan", "10.0.0.0/33"] } });
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe("gateway.trustedProxies");
    expect(issues[0]?.message).toContain('"proxy.lan" is not an IP address or IPv4 CIDR');
    expect(issues[0]?.message).toContain('"10.0.0.0/33" is not an IP address or IPv4 CIDR');
  });
});

describe("a gateway behind a trusted proxy", () => {
  const fixture = useGateway(
    localConfig({
      trustedProxies: ["127.0.0.1"],
      auth: { token: TEST_TOKEN, rateLimit: { maxAttempts: 2 } },
    }),
  );
  const from = (ip: string) => fixture.open({ "X-Forwarded-For": `${ip}, 10.1.1.1` });

  it("rate-limits and records the client the proxy names, not the proxy", async () => {
    for (let i = 0; i < 2; i += 1) {
      const guess = await from("203.0.113.9");
      expect((await guess.connect({ auth: { token: "wrong" } })).ok).toBe(false);
      await guess.waitClose();
    }
    const locked = await from("203.0.113.9");
    expect((await locked.connect({ auth: { token: TEST_TOKEN } })).error?.message).toBe(LOCKED_OUT);

    const other = await from("203.0.113.10");
    const res = await other.connect({
      auth: { token: TEST_TOKEN },
      client: { id: "test", version: "1", platform: "linux", mode: "ui", instanceId: "behind-proxy" },
    });
    expect(res.ok).toBe(true);
    const presence = (await other.request("system-presence")).payload as Array<{
      instanceId?: string;
      ip?: string;
    }>;
    expect(presence.find((entry) => entry.instanceId === "behind-proxy")?.ip).toBe("203.0.113.10");
  });
});

describe("proxy headers from a peer that is not a trusted proxy", () => {
  const fixture = useGateway(localConfig({ auth: { token: TEST_TOKEN, rateLimit: { maxAttempts: 2 } } }));

  it("are ignored for who the client is, and the gateway warns that the connection is not local", async () => {
    for (let i = 0; i < 3; i += 1) {
      const guess = await fixture.open({ "X-Forwarded-For": "203.0.113.9" });
      expect((await guess.connect({ auth: { token: "wrong" } })).ok).toBe(false);
      await guess.waitClose();
    }
    // The peer is loopback (exempt from the limiter by default), whatever the header claims.
    const peer = await fixture.open({ "X-Forwarded-For": "203.0.113.9" });
    expect((await peer.connect({ auth: { token: TEST_TOKEN } })).ok).toBe(true);
    const logs = path.join(fixture.home.stateDir, "logs");
    const line = await loggedLine(logs, (entry) => String(entry.message).startsWith("proxy headers"));
    expect(line.message).toBe(
      "proxy headers from 127.0.0.1, which is not in gateway.trustedProxies: its connections are not treated as local",
    );
  });
});
