import { RunWaiters } from "../src/agents/run-waiters.js";
import type { RunRow } from "../src/store/rows.js";

function finishedRow(runId: string): RunRow {
  return {
    runId,
    dedupeKey: `agent:${runId}`,
    kind: "agent",
    sessionKey: "agent:main:main",
    sessionId: "s1",
    agentId: "main",
    status: "ok",
    stopReason: null,
    text: "done",
    error: null,
    acceptedAt: 1,
    startedAt: 2,
    endedAt: 3,
    meta: null,
  };
}

describe("RunWaiters", () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it("wakes everyone waiting for a run with its final row", async () => {
    const waiters = new RunWaiters();
    const first = waiters.wait("r1", 1_000);
    const second = waiters.wait("r1", 5_000);
    const row = finishedRow("r1");
    waiters.wake("r1", row);
    await expect(first).resolves.toBe(row);
    await expect(second).resolves.toBe(row);
    expect(jest.getTimerCount()).toBe(0);
  });

  it("resolves null when the run does not end in time, and a late end does not reach that waiter", async () => {
    const waiters = new RunWaiters();
    const short = waiters.wait("r2", 100);
    const long = waiters.wait("r2", 1_000);
    jest.advanceTimersByTime(100);
    await expect(short).resolves.toBeNull();
    const row = finishedRow("r2");
    waiters.wake("r2", row);
    await expect(long).resolves.toBe(row);
  });
});
