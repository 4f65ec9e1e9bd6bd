/**
 * Failure injected into each supervised child of a real gateway process (CODERCLAW_FAULT_INJECTION,
 * a test-only hook), observed as clients and the operator see it: the `shutdown` event before the
 * close, the exit code, the log lines, the instance lock.
 */
import fs from "node:fs";
import { lockPathFor } from "../src/host/instance-lock.js";
import {
  killAll,
  localConfig,
  makeTempHome,
  startGateway,
  TEST_TOKEN,
  type GatewayProcess,
  type TempHome,
} from "./helpers/gateway-process.js";
import { readyOn, waitFor } from "./helpers/wait-for.js";
import { WsPeer } from "./helpers/ws-peer.js";

jest.setTimeout(40_000);

const homes: TempHome[] = [];
const peers: WsPeer[] = [];

afterEach(async () => {
  peers.splice(0).forEach((peer) => peer.close());
  await killAll();
  homes.splice(0).forEach((home) => home.cleanup());
});

type Config = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const config = (extra: Config = {}, rest: Config = {}): Config =>
  localConfig({ reload: { mode: "hybrid", debounceMs: 50 }, ...extra }, rest);

async function startFaulty(
  fault: string,
  cfg: Config = config(),
): Promise<{ home: TempHome; gateway: GatewayProcess; client: WsPeer }> {
  const home = makeTempHome();
  homes.push(home);
  home.writeConfig(cfg);
  const gateway = await startGateway({ ...home.env, CODERCLAW_FAULT_INJECTION: fault });
  const client = await connect(gateway.port);
  return { home, gateway, client };
}

async function connect(port: number): Promise<WsPeer> {
  const peer = await WsPeer.open(`ws://127.0.0.1:${port}`);
  peers.push(peer);
  expect((await peer.connect({ auth: { token: TEST_TOKEN } })).ok).toBe(true);
  return peer;
}

const logged = (gateway: GatewayProcess, text: string) =>
  waitFor(`log line "${text}"`, () => {
    const { stdout, stderr } = gateway.output();
    return stdout.includes(text) || stderr.includes(text) ? true : undefined;
  });

/** The `shutdown` event came before the close frame, and the close was 1012. */
async function expectShutdownThenClose(client: WsPeer, payload: unknown) {
  const close = await client.waitClose(10_000);
  expect(close.code).toBe(1012);
  const shutdown = client.events("shutdown");
  expect(shutdown.map((frame) => frame.payload)).toEqual([payload]);
}

describe("reload controller: restart with backoff", () => {
  it("a throw in one of its actions restarts the controller alone; clients stay connected and reloads work again", async () => {
    const { home, gateway, client } = await startFaulty("reload:action");

    home.writeConfig(config({}, { session: { mainKey: "first" } }));
    await logged(gateway, "reload failed: injected fault (reload:action); restarting it in 1000 ms");
    home.writeConfig(config({}, { session: { mainKey: "second" } }));
    await client.until(
      () => client.events("reload").find((event) => event.payload.status === "applied"),
      8_000,
      "a reload applied by the restarted controller",
    );
    expect(client.closed).toBeNull();
    expect(client.events("shutdown")).toHaveLength(0);
    expect(gateway.child.exitCode).toBeNull();
  });
});

describe("gateway actor: cleaned up, then restarted with backoff", () => {
  it("a throw while draining for a restart still sends shutdown, then comes back after the backoff", async () => {
    const { gateway, client } = await startFaulty("gateway:action");

    expect((await client.request("gateway.restart.request", { reason: "operator" })).ok).toBe(true);
    await expectShutdownThenClose(client, { reason: "gateway restarting", restartExpectedMs: 1000 });
    await logged(
      gateway,
      "gateway failed: injected fault (gateway:action); restarting in 1000 ms (attempt 1)",
    );
    await readyOn(gateway.port);
    await connect(gateway.port);
    expect(gateway.child.exitCode).toBeNull();
  });

  it("a throw in its background services restarts it, and the process stays up", async () => {
    const home = makeTempHome();
    homes.push(home);
    home.writeConfig(config());
    const gateway = await startGateway({ ...home.env, CODERCLAW_FAULT_INJECTION: "gateway:services" });

    await logged(
      gateway,
      "gateway failed: injected fault (gateway:services); restarting in 1000 ms (attempt 1)",
    );
    await waitFor("a second start", () =>
      gateway.output().stdout.split("gateway ready").length - 1 === 2 ? true : undefined,
    );
    await readyOn(gateway.port);
    await connect(gateway.port);
    expect(gateway.child.exitCode).toBeNull();
  });

  it("a throw while draining for a stop still sends shutdown, releases the lock and exits 70", async () => {
    const { home, gateway, client } = await startFaulty("gateway:action");

    gateway.child.kill("SIGTERM");
    await expectShutdownThenClose(client, { reason: "gateway stopping", restartExpectedMs: null });
    expect(await gateway.exited).toEqual({ code: 70, signal: null });
    expect(gateway.output().stderr).toContain("gateway failed: injected fault (gateway:action)");
    expect(fs.existsSync(lockPathFor(home.configPath))).toBe(false);
  });
});

describe("outside any actor", () => {
  it("an uncaught exception (a tick timer) is an orderly stop: shutdown first, lock released, exit 70", async () => {
    const { home, gateway, client } = await startFaulty("gateway:tick@3", config({ tickIntervalMs: 300 }));

    await expectShutdownThenClose(client, { reason: "gateway stopping", restartExpectedMs: null });
    expect(await gateway.exited).toEqual({ code: 70, signal: null });
    expect(gateway.output().stderr).toContain("uncaught exception: Error: injected fault (gateway:tick)");
    expect(fs.existsSync(lockPathFor(home.configPath))).toBe(false);
  });
});

describe("shutdown budget", () => {
  it("a stop that overruns its 5 s deadline exits 75, says so, and releases the lock", async () => {
    const { home, gateway } = await startFaulty("gateway:close");
    const stoppedAt = Date.now();

    gateway.child.kill("SIGTERM");
    expect(await gateway.exited).toEqual({ code: 75, signal: null });
    const tookMs = Date.now() - stoppedAt;
    expect(tookMs).toBeGreaterThanOrEqual(5_000);
    expect(tookMs).toBeLessThan(8_000);
    expect(gateway.output().stderr).toContain(
      "shutdown timed out after 5000 ms (received SIGTERM); exiting without full cleanup",
    );
    expect(fs.existsSync(lockPathFor(home.configPath))).toBe(false);
  });
});
