import { EventBus } from "../src/actors/event-bus.js";
import { PresenceFeed } from "../src/actors/presence-feed.js";
import type { PresencePublication } from "../src/state/presence-publication.js";
import type { ClientSession } from "../src/protocol/client-session.js";
import { PresenceTable } from "../src/state/presence.js";

function uiSession(instanceId: string): ClientSession {
  return {
    connId: `conn-${instanceId}`,
    client: { id: "test", version: "1", platform: "linux", mode: "ui", instanceId },
    role: "operator",
    scopes: ["operator.read"],
    caps: [],
    deviceId: null,
    authMethod: "token",
    remoteAddress: "127.0.0.1",
  };
}

/** The feed on a simulated clock: what it broadcasts, and when. */
function feedOnClock(audience = 0) {
  jest.useFakeTimers({ now: 1_000_000 });
  const bus = new EventBus();
  const feed = new PresenceFeed(new PresenceTable({ version: "test" }), bus, () => audience);
  const broadcasts: Array<{ at: number; instanceIds: string[]; total: number; delta: boolean }> = [];
  const deltas: Array<NonNullable<PresencePublication["delta"]>> = [];
  bus.on("presence", ({ list, delta }) => {
    broadcasts.push({
      at: Date.now() - 1_000_000,
      instanceIds: list.presence.flatMap((p) => p.instanceId ?? []),
      total: list.total,
      delta: delta !== null,
    });
    if (delta) deltas.push(delta);
  });
  return { feed, broadcasts, deltas };
}

describe("presence feed", () => {
  afterEach(() => jest.useRealTimers());

  it("publishes a lone join 250 ms later", () => {
    const { feed, broadcasts } = feedOnClock();
    feed.joined(uiSession("a"));
    jest.advanceTimersByTime(249);
    expect(broadcasts).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(broadcasts).toEqual([{ at: 250, instanceIds: ["a"], total: 2, delta: true }]);
    expect(feed.published().entries.map((p) => p.instanceId)).toContain("a");
  });

  it("publishes a burst once, 250 ms after it pauses", () => {
    const { feed, broadcasts } = feedOnClock();
    for (let i = 0; i < 10; i++) {
      feed.joined(uiSession(`b${i}`));
      jest.advanceTimersByTime(50);
    }
    jest.advanceTimersByTime(1_000);
    expect(broadcasts).toHaveLength(1);
    // The last join was at 450 ms.
    expect(broadcasts[0]!.at).toBe(700);
    expect(broadcasts[0]!.instanceIds).toHaveLength(10);
  });

  it("publishes a storm that does not pause at least once a second, never twice within 250 ms", () => {
    const { feed, broadcasts } = feedOnClock();
    for (let i = 0; i < 300; i++) {
      feed.joined(uiSession(`s${i}`));
      jest.advanceTimersByTime(10);
    }
    jest.advanceTimersByTime(1_000);
    const times = broadcasts.map((b) => b.at);
    expect(times).toEqual([1_000, 2_000, 3_000]);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(250);
    // Each publication carries the newest 50 (the gateway and 49 clients) and the count of all; a storm's changes are too many for a delta.
    expect(broadcasts.at(-1)!.instanceIds).toEqual(Array.from({ length: 49 }, (_, i) => `s${299 - i}`));
    expect(broadcasts.map((b) => b.total)).toEqual([101, 201, 301]);
    expect(broadcasts.map((b) => b.delta)).toEqual([false, false, false]);
  });

  it("publishes a storm less often the more clients it goes to: a second more per 2,000, at most every 5 s", () => {
    const { feed, broadcasts } = feedOnClock(4_500);
    for (let i = 0; i < 700; i++) {
      feed.joined(uiSession(`big${i}`));
      jest.advanceTimersByTime(10);
    }
    jest.advanceTimersByTime(1_000);
    // 4,500 clients: at least every 3 s while the storm lasts (7 s), then 250 ms after it ends.
    expect(broadcasts.map((b) => b.at)).toEqual([3_000, 6_000, 7_240]);
    const huge = feedOnClock(50_000);
    for (let i = 0; i < 1_200; i++) {
      huge.feed.joined(uiSession(`huge${i}`));
      jest.advanceTimersByTime(10);
    }
    expect(huge.broadcasts.map((b) => b.at)).toEqual([5_000, 10_000]);
  });

  it("publishes what changed since the previous publication as a delta, keyed like the entries", () => {
    const { feed, broadcasts, deltas } = feedOnClock();
    const [a, b, c] = [uiSession("a"), uiSession("b"), uiSession("c")];
    feed.joined(a);
    feed.joined(b);
    jest.advanceTimersByTime(250);
    const first = feed.published();
    feed.left(a);
    feed.joined(c);
    feed.joined(b); // b reconnects: one upsert, newest first after c
    jest.advanceTimersByTime(250);
    expect(broadcasts).toHaveLength(2);
    const delta = deltas[1]!;
    expect(delta.baseVersion).toBe(first.version);
    expect(feed.published().version).toBeGreaterThan(first.version);
    expect(delta.upsert.map((p) => p.key)).toEqual(["b", "c"]);
    expect(delta.remove).toEqual(["a"]);
    expect(delta.total).toBe(3);
    expect(feed.published().entries.map((p) => p.key)).toEqual(["gateway", "b", "c"]);
  });

  it("publishes a leave, and a stop cancels what is pending", () => {
    const { feed, broadcasts } = feedOnClock();
    const session = uiSession("gone");
    feed.joined(session);
    jest.advanceTimersByTime(250);
    feed.left(session);
    jest.advanceTimersByTime(250);
    expect(broadcasts.map((b) => b.instanceIds)).toEqual([["gone"], []]);
    expect(broadcasts.map((b) => b.delta)).toEqual([true, true]);
    feed.joined(uiSession("late"));
    feed.stop();
    jest.advanceTimersByTime(2_000);
    expect(broadcasts).toHaveLength(2);
  });
});
