import { DeadlineQueue } from "../src/transport/deadline-queue.js";

/** A queue on jest's simulated clock, recording which member ran out when. */
function queueOnClock(delayMs: number) {
  jest.useFakeTimers({ now: 0 });
  const expired: Array<{ member: string; at: number }> = [];
  const queue = new DeadlineQueue<string>(
    delayMs,
    (member) => expired.push({ member, at: Date.now() }),
    () => Date.now(),
  );
  return { queue, expired };
}

describe("deadline queue", () => {
  afterEach(() => jest.useRealTimers());

  it("runs each member out exactly its delay after it was added, not a millisecond earlier", () => {
    const { queue, expired } = queueOnClock(1_000);
    queue.add("a");
    jest.advanceTimersByTime(300);
    queue.add("b");
    jest.advanceTimersByTime(699);
    expect(expired).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(expired).toEqual([{ member: "a", at: 1_000 }]);
    jest.advanceTimersByTime(299);
    expect(expired).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(expired).toEqual([
      { member: "a", at: 1_000 },
      { member: "b", at: 1_300 },
    ]);
    expect(queue.size).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });

  it("forgets a removed member, and holds no timer once empty", () => {
    const { queue, expired } = queueOnClock(1_000);
    queue.add("a");
    queue.add("b");
    queue.remove("a");
    jest.advanceTimersByTime(1_000);
    expect(expired).toEqual([{ member: "b", at: 1_000 }]);

    queue.add("c");
    queue.remove("c");
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(5_000);
    expect(expired).toHaveLength(1);
  });

  it("restarts the deadline of a member added again", () => {
    const { queue, expired } = queueOnClock(1_000);
    queue.add("a");
    queue.add("b");
    jest.advanceTimersByTime(500);
    queue.add("a");
    jest.advanceTimersByTime(500);
    expect(expired).toEqual([{ member: "b", at: 1_000 }]);
    jest.advanceTimersByTime(500);
    expect(expired.at(-1)).toEqual({ member: "a", at: 1_500 });
  });

  it("runs out everyone due at once, and keeps one timer for thousands of members", () => {
    const { queue, expired } = queueOnClock(10_000);
    for (let i = 0; i < 5_000; i++) queue.add(`m${i}`);
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(10_000);
    expect(expired).toHaveLength(5_000);
    expect(expired[0]).toEqual({ member: "m0", at: 10_000 });
    expect(jest.getTimerCount()).toBe(0);
  });

  it("copes with a callback that removes or adds members", () => {
    jest.useFakeTimers({ now: 0 });
    const expired: string[] = [];
    const queue: DeadlineQueue<string> = new DeadlineQueue<string>(
      100,
      (member) => {
        expired.push(member);
        if (member === "a") queue.remove("b");
        if (member === "c") queue.add("d");
      },
      () => Date.now(),
    );
    queue.add("a");
    queue.add("b");
    queue.add("c");
    jest.advanceTimersByTime(100);
    expect(expired).toEqual(["a", "c"]);
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(100);
    expect(expired).toEqual(["a", "c", "d"]);
    expect(jest.getTimerCount()).toBe(0);
  });

  it("clear drops every member and the timer", () => {
    const { queue, expired } = queueOnClock(100);
    queue.add("a");
    queue.add("b");
    queue.clear();
    expect(queue.size).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(1_000);
    expect(expired).toEqual([]);
  });
});
