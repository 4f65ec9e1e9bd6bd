import { MAX_DURATION_MS, MAX_DURATION_SECONDS } from "../src/protocol/duration.js";
import { useGateway } from "./helpers/gateway-fixture.js";
import { localConfig, runCli, TEST_TOKEN } from "./helpers/gateway-process.js";

let nextKey = 0;
const key = (label: string) => `${label}-${process.pid}-${++nextKey}`;

describe("durations a client sends are bounded (at most 2^31 − 1 ms)", () => {
  const fixture = useGateway(localConfig({}, { providers: { echo: { type: "echo", delayMs: 600 } } }));

  it("refuses agent.wait with timeoutMs of 2^31 instead of answering timeout at once", async () => {
    const peer = await fixture.connected();
    const res = await peer.request("agent.wait", { runId: key("run"), timeoutMs: 2 ** 31 });
    expect(res.ok).toBe(false);
    expect(res.error).toEqual({
      code: "INVALID_REQUEST",
      message: expect.stringMatching(/timeoutMs.*must be <= 2147483647/),
    });
    expect((await peer.request("health")).ok).toBe(true);
  });

  it("waits for the run with the largest timeoutMs allowed", async () => {
    const peer = await fixture.connected();
    const runId = key("run");
    peer.send({
      type: "req",
      id: "wait",
      method: "agent.wait",
      params: { runId, timeoutMs: MAX_DURATION_MS },
    });
    const started = Date.now();
    const ack = await peer.request("agent", { message: "slow enough", idempotencyKey: runId });
    expect(ack.ok).toBe(true);
    const waited = await peer.response("wait", 10_000);
    expect(waited.payload).toMatchObject({ runId, status: "ok" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
  });

  it.each([
    ["agent", { message: "hi", idempotencyKey: key("a"), timeout: MAX_DURATION_SECONDS + 1 }, "timeout"],
    [
      "chat.send",
      { sessionKey: "main", message: "hi", idempotencyKey: key("c"), timeoutMs: 2 ** 31 },
      "timeoutMs",
    ],
    ["channels.status", { probe: true, timeoutMs: 2 ** 31 }, "timeoutMs"],
  ])("refuses %s with a duration beyond the bound", async (method, params, field) => {
    const peer = await fixture.connected();
    const res = await peer.request(method, params);
    expect(res.error?.code).toBe("INVALID_REQUEST");
    expect(res.error?.message).toContain(`/${field}`);
  });

  it("refuses a config write that would set a timer beyond the bound", async () => {
    const peer = await fixture.connected({ scopes: ["operator.admin"] });
    const { hash } = (await peer.request("config.get")).payload as { hash: string };
    const res = await peer.request("config.set", {
      path: "gateway.tickIntervalMs",
      value: 2 ** 31,
      baseHash: hash,
    });
    expect(res.error?.code).toBe("INVALID_REQUEST");
    expect(res.error?.message).toContain("gateway.tickIntervalMs: must be at most 2147483647 (ms)");
    const patched = await peer.request("config.patch", {
      patch: { providers: { echo: { type: "echo", delayMs: 2 ** 31 } } },
      baseHash: hash,
    });
    expect(patched.error?.message).toContain("providers.echo.delayMs: must be at most 2147483647 (ms)");
  });

  it("the CLI refuses a --timeout beyond the bound instead of timing out at once", async () => {
    const auth = ["--url", fixture.url, "--token", TEST_TOKEN];
    const health = await runCli(["health", ...auth, `--timeout=${2 ** 31}`], fixture.home.env);
    expect(health.code).toBe(1);
    expect(health.stderr.trim()).toBe("--timeout must be at most 2147483647 (milliseconds)");
    const fine = await runCli(["health", ...auth, `--timeout=${MAX_DURATION_MS}`], fixture.home.env);
    expect(fine.code).toBe(0);
  });
});
