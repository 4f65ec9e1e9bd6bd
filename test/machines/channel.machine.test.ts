import { restartDelayMs } from "../../src/machines/channel.machine.js";
import { channelHarness, flush, stopAllActors, valueOf } from "./support.js";

afterEach(stopAllActors);

const STOP_TIMEOUT_MS = 5_000;
const STABLE_AFTER_MS = 60_000;

type Harness = ReturnType<typeof channelHarness>;

async function failStart(h: Harness, message = "ECONNREFUSED") {
  h.startAccount.last.deferred.reject(new Error(message));
  await flush();
}

async function succeedStart(h: Harness) {
  h.startAccount.last.deferred.resolve();
  await flush();
}

describe("channel account machine", () => {
  it("starts an enabled account and runs once its transport is up, watching the connection", async () => {
    const h = channelHarness();
    expect(valueOf(h.actor)).toBe("starting");
    expect(h.startAccount.calls).toHaveLength(1);
    await succeedStart(h);
    expect(valueOf(h.actor)).toBe("running");
    expect(h.watchConnection.running).toBe(1);
    expect(h.log.types()).toEqual(["announceRunning"]);
  });

  it("leaves a disabled or unconfigured account alone, with its reason", () => {
    const disabled = channelHarness("disabled");
    expect(valueOf(disabled.actor)).toBe("disabled");
    expect(disabled.actor.getSnapshot().context.reason).toBe("disabled reason");
    const unconfigured = channelHarness("unconfigured");
    expect(valueOf(unconfigured.actor)).toBe("unconfigured");
    expect(disabled.startAccount.calls.length + unconfigured.startAccount.calls.length).toBe(0);
  });

  it("backs off 5 s, 10 s, 20 s ... capped at 5 min, and never gives up", async () => {
    const h = channelHarness();
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 15; attempt++) {
      await failStart(h);
      expect(valueOf(h.actor)).toBe("reconnecting");
      const { delayMs } = h.log.of("announceRestart").at(-1) as { delayMs: number };
      delays.push(delayMs);
      h.clock.increment(delayMs - 1);
      expect(valueOf(h.actor)).toBe("reconnecting");
      h.clock.increment(1);
      expect(valueOf(h.actor)).toBe("starting");
    }
    expect(delays.slice(0, 8)).toEqual([5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
    expect(delays.slice(8).every((delay) => delay === 300_000)).toBe(true);
    expect(h.startAccount.calls).toHaveLength(16);
    expect(h.log.count("abandonTransport")).toBe(15);
  });

  it("jitters each delay within ±10 %", () => {
    expect(restartDelayMs(1, 0)).toBe(4_500);
    expect(restartDelayMs(1, 0.999999)).toBe(5_500);
    expect(restartDelayMs(30, 0)).toBe(270_000);
    expect(restartDelayMs(30, 0.999999)).toBe(330_000);
  });

  it("reconnects when the live connection is lost, dropping the old transport", async () => {
    const h = channelHarness();
    await succeedStart(h);
    h.watchConnection.sendBack({ type: "CONNECTION_LOST", error: "server closed the connection" });
    expect(valueOf(h.actor)).toBe("reconnecting");
    expect(h.watchConnection.running).toBe(0);
    expect(h.log.types()).toContain("abandonTransport");
    expect(h.actor.getSnapshot().context.lastError).toBe("server closed the connection");
    h.clock.increment(5_000);
    expect(valueOf(h.actor)).toBe("starting");
    await succeedStart(h);
    expect(h.actor.getSnapshot().context.lastError).toBeNull();
  });

  it("resets the backoff after running stably for a minute", async () => {
    const h = channelHarness();
    await failStart(h);
    h.clock.increment(5_000);
    await failStart(h);
    h.clock.increment(10_000);
    await succeedStart(h);
    expect(h.actor.getSnapshot().context.attempt).toBe(2);
    h.clock.increment(STABLE_AFTER_MS);
    expect(h.actor.getSnapshot().context.attempt).toBe(0);
    h.watchConnection.sendBack({ type: "CONNECTION_LOST", error: "gone" });
    expect((h.log.of("announceRestart").at(-1) as { delayMs: number }).delayMs).toBe(5_000);
  });

  it("a restart whose stop times out still starts afresh, abandoning the wedged transport", async () => {
    const h = channelHarness();
    await succeedStart(h);
    h.actor.send({ type: "RESTART", reason: "health-monitor: running but not connected" });
    expect(valueOf(h.actor)).toBe("stopping");
    h.clock.increment(STOP_TIMEOUT_MS);
    expect(valueOf(h.actor)).toBe("starting");
    expect(h.log.types()).toEqual(["announceRunning", "announceStopTimeout", "abandonTransport"]);
    expect(h.startAccount.calls).toHaveLength(2);
  });

  it("a stop ends in stopped, even when the transport does not close in time", async () => {
    const h = channelHarness();
    await succeedStart(h);
    h.actor.send({ type: "STOP" });
    h.clock.increment(STOP_TIMEOUT_MS);
    expect(valueOf(h.actor)).toBe("stopped");
    expect(h.log.types()).toContain("announceStopped");
    h.actor.send({ type: "START" });
    expect(valueOf(h.actor)).toBe("starting");
  });

  it("a stop while waiting to reconnect cancels the attempt", async () => {
    const h = channelHarness();
    await failStart(h);
    h.actor.send({ type: "STOP" });
    expect(valueOf(h.actor)).toBe("stopped");
    h.clock.increment(600_000);
    expect(h.startAccount.calls).toHaveLength(1);
  });

  it("a STOP during a restart's stop wins: the account stays stopped", async () => {
    const h = channelHarness();
    await succeedStart(h);
    h.actor.send({ type: "RESTART", reason: "operator" });
    h.actor.send({ type: "STOP" });
    h.stopAccount.last.deferred.resolve();
    await flush();
    expect(valueOf(h.actor)).toBe("stopped");
  });
});
