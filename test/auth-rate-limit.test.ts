import path from "node:path";
import { AUTH_RATE_LIMIT_DEFAULTS } from "../src/config/auth-rate-limit.js";
import { validateConfigObject } from "../src/config/load.js";
import { AuthRateLimiter } from "../src/transport/auth-rate-limiter.js";
import { useGateway } from "./helpers/gateway-fixture.js";
import { localConfig, TEST_TOKEN } from "./helpers/gateway-process.js";
import { loggedLine } from "./helpers/in-process.js";

const LOCKED_OUT = "unauthorized: too many failed authentication attempts (retry later)";
const MISMATCH = "unauthorized: gateway token mismatch (provide gateway auth token)";

describe("AuthRateLimiter", () => {
  const settings = { maxAttempts: 3, windowMs: 1_000, lockoutMs: 5_000, exemptLoopback: true };
  function limiterOnClock() {
    const clock = { now: 0 };
    const lockouts: string[] = [];
    const limiter = new AuthRateLimiter(settings, {
      now: () => clock.now,
      onLockout: (ip) => lockouts.push(ip),
    });
    return { clock, lockouts, limiter };
  }
  const fail = (limiter: AuthRateLimiter, ip: string, times: number) => {
    for (let i = 0; i < times; i += 1) limiter.recordFailure(ip, "shared-secret");
  };

  it("locks a client out for lockoutMs once it reaches maxAttempts failures within the window", () => {
    const { clock, lockouts, limiter } = limiterOnClock();
    fail(limiter, "203.0.113.7", 2);
    expect(limiter.check("203.0.113.7", "shared-secret")).toEqual({ allowed: true });
    fail(limiter, "203.0.113.7", 1);
    expect(lockouts).toEqual(["203.0.113.7"]);
    clock.now = 4_000;
    expect(limiter.check("203.0.113.7", "shared-secret")).toEqual({ allowed: false, retryAfterMs: 1_000 });
    expect(limiter.check("203.0.113.8", "shared-secret")).toEqual({ allowed: true });
    clock.now = 5_000;
    expect(limiter.check("203.0.113.7", "shared-secret")).toEqual({ allowed: true });
  });

  it("counts only the failures inside the sliding window", () => {
    const { clock, limiter } = limiterOnClock();
    fail(limiter, "203.0.113.7", 2);
    clock.now = 1_001;
    fail(limiter, "203.0.113.7", 2);
    expect(limiter.check("203.0.113.7", "shared-secret").allowed).toBe(true);
    fail(limiter, "203.0.113.7", 1);
    expect(limiter.check("203.0.113.7", "shared-secret").allowed).toBe(false);
  });

  it("forgets a client's failures when it succeeds", () => {
    const { limiter } = limiterOnClock();
    fail(limiter, "203.0.113.7", 2);
    limiter.reset("203.0.113.7", "shared-secret");
    fail(limiter, "203.0.113.7", 2);
    expect(limiter.check("203.0.113.7", "shared-secret").allowed).toBe(true);
  });

  it("exempts loopback clients unless exemptLoopback is false", () => {
    const { limiter } = limiterOnClock();
    fail(limiter, "127.0.0.1", 10);
    fail(limiter, "::1", 10);
    expect(limiter.check("127.0.0.1", "shared-secret").allowed).toBe(true);
    expect(limiter.size).toBe(0);
    const strict = new AuthRateLimiter({ ...settings, exemptLoopback: false });
    fail(strict, "127.0.0.1", 3);
    expect(strict.check("127.0.0.1", "shared-secret").allowed).toBe(false);
  });

  it("does not keep clients whose failures aged out (a scan of many addresses does not grow it forever)", () => {
    const { clock, limiter } = limiterOnClock();
    for (let i = 0; i < 100; i += 1) fail(limiter, `198.51.100.${i}`, 1);
    expect(limiter.size).toBe(100);
    clock.now = 2_500;
    fail(limiter, "203.0.113.7", 1);
    expect(limiter.size).toBe(1);
  });
});

describe("gateway.auth.rateLimit in the config", () => {
  it("is off when absent and takes the upstream defaults for fields left out", () => {
    expect(validateConfigObject({}).config.gateway.auth.rateLimit).toBeNull();
    const { issues, config } = validateConfigObject({ gateway: { auth: { rateLimit: { maxAttempts: 5 } } } });
    expect(issues).toEqual([]);
    expect(config.gateway.auth.rateLimit).toEqual({ maxAttempts: 5 });
    expect(AUTH_RATE_LIMIT_DEFAULTS).toEqual({
      maxAttempts: 10,
      windowMs: 60_000,
      lockoutMs: 300_000,
      exemptLoopback: true,
    });
  });

  it("lists every bad field and unknown key with its path", () => {
    const { issues } = validateConfigObject({
      gateway: { auth: { rateLimit: { maxAttempts: 0, windowMs: "1m", exemptLoopback: "yes", burst: 3 } } },
    });
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: "gateway.auth.rateLimit.maxAttempts", message: "must be a positive integer" },
        { path: "gateway.auth.rateLimit.windowMs", message: "must be a positive integer" },
        { path: "gateway.auth.rateLimit.exemptLoopback", message: "must be a boolean" },
        { path: "gateway.auth.rateLimit.burst", message: "unknown key" },
      ]),
    );
    expect(issues).toHaveLength(4);
    expect(validateConfigObject({ gateway: { auth: { rateLimit: 5 } } }).issues).toEqual([
      { path: "gateway.auth.rateLimit", message: "must be an object: value was 5" },
    ]);
  });
});

describe("connect behind the rate limiter", () => {
  const fixture = useGateway(
    localConfig({
      auth: {
        token: TEST_TOKEN,
        rateLimit: { maxAttempts: 2, windowMs: 60_000, lockoutMs: 60_000, exemptLoopback: false },
      },
    }),
  );

  it("refuses a client that guessed wrong maxAttempts times, even with the right token, and logs the lockout", async () => {
    for (let i = 0; i < 2; i += 1) {
      const guess = await fixture.open();
      expect((await guess.connect({ auth: { token: `wrong-${i}` } })).error?.message).toBe(MISMATCH);
      await guess.waitClose();
    }
    const peer = await fixture.open();
    const res = await peer.connect({ auth: { token: TEST_TOKEN } });
    expect(res.error).toEqual({ code: "INVALID_REQUEST", message: LOCKED_OUT });
    expect(await peer.waitClose()).toEqual({ code: 1008, reason: LOCKED_OUT });
    const logs = path.join(fixture.home.stateDir, "logs");
    const line = await loggedLine(logs, (entry) => String(entry.message).includes("locked out"));
    expect(line.message).toBe("auth: 127.0.0.1 locked out for 60000 ms after failed shared-secret attempts");
  });
});

describe("connect with the rate limiter's defaults", () => {
  const fixture = useGateway(localConfig({ auth: { token: TEST_TOKEN, rateLimit: { maxAttempts: 2 } } }));

  it("never locks out a loopback client (exemptLoopback defaults to true)", async () => {
    for (let i = 0; i < 3; i += 1) {
      const guess = await fixture.open();
      expect((await guess.connect({ auth: { token: "wrong" } })).error?.message).toBe(MISMATCH);
      await guess.waitClose();
    }
    const peer = await fixture.open();
    expect((await peer.connect({ auth: { token: TEST_TOKEN } })).ok).toBe(true);
  });
});
