import { useGateway } from "./helpers/gateway-fixture.js";
import { localConfig, TEST_TOKEN } from "./helpers/gateway-process.js";
import { WsPeer, type Frame } from "./helpers/ws-peer.js";

type Entry = { key?: string; instanceId?: string; mode?: string };
const CLIENTS = 300;
const CLI = { id: "cli", version: "1", platform: "linux", mode: "cli" };
const ui = (instanceId: string) => ({ id: "test", version: "1", platform: "linux", mode: "ui", instanceId });

/** Runs `count` tasks, `concurrency` at a time. */
async function inBatches<T>(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = [];
  for (let start = 0; start < count; start += concurrency) {
    const batch = Array.from({ length: Math.min(concurrency, count - start) }, (_, i) => task(start + i));
    results.push(...(await Promise.all(batch)));
  }
  return results;
}

/** Waits for the next presence event on `peer` whose version is above `version`. */
const presenceAfter = (peer: WsPeer, version: number, what: string) =>
  peer.until(
    () => peer.events("presence").find((e: Frame) => (e.stateVersion?.presence ?? 0) > version),
    3_000,
    what,
  );

describe("presence with a few hundred clients: capped hello-ok, paging, coalesced deltas", () => {
  const fixture = useGateway(localConfig());
  /** The crowd outlives each test (the fixture closes its own peers after each one). */
  const crowd: WsPeer[] = [];
  const join = async (instanceId: string) => {
    const peer = await WsPeer.open(fixture.url);
    crowd.push(peer);
    expect((await peer.connect({ auth: { token: TEST_TOKEN }, client: ui(instanceId) })).ok).toBe(true);
    return peer;
  };
  afterAll(() => crowd.forEach((peer) => peer.close()));

  it("caps hello-ok's presence at the newest 50, counts all of them, and keeps its size independent of the crowd", async () => {
    const small = (await (await fixture.open()).connect({ auth: { token: TEST_TOKEN }, client: CLI }))
      .payload;
    const watcher = await fixture.connected({ client: CLI });
    await inBatches(CLIENTS, 50, (i) => join(`crowd-${i}`));
    // Once the crowd's joins are published, a new client's hello-ok carries them.
    await watcher.until(
      () => watcher.events("presence").some((e) => e.payload.total === CLIENTS + 1),
      5_000,
      "the crowd's presence published",
    );
    const big = (await (await fixture.open()).connect({ auth: { token: TEST_TOKEN }, client: CLI })).payload;

    const presence = big.snapshot.presence as Entry[];
    expect(presence).toHaveLength(50);
    expect(presence[0]?.mode).toBe("gateway");
    expect(big.snapshot.presenceTotal).toBe(CLIENTS + 1);
    // Newest first: 49 of the last batch of 50 (its joins were concurrent, so in no set order).
    const ids = presence.slice(1).map((p) => Number(p.instanceId?.slice("crowd-".length)));
    expect(new Set(ids).size).toBe(49);
    expect(ids.every((id) => id >= CLIENTS - 50 && id < CLIENTS)).toBe(true);
    // With 1 entry and with 301, hello-ok differs only by the 49 capped entries, never by the crowd.
    const size = (hello: unknown) => JSON.stringify(hello).length;
    expect(small.snapshot.presenceTotal).toBeLessThan(CLIENTS);
    const perEntry = (size(big) - size(small)) / (presence.length - small.snapshot.presence.length);
    expect(perEntry).toBeLessThan(400);
    expect(size(big)).toBeLessThan(size(small) + 50 * 400);
  });

  it("pages every entry through system-presence with a bounded, validated offset and limit", async () => {
    const reader = await fixture.connected({ client: CLI });
    const keys: string[] = [];
    let offset: number | null = 0;
    let pages = 0;
    while (offset !== null) {
      const res = await reader.request("system-presence", { offset, limit: 120 });
      expect(res.ok).toBe(true);
      const page = res.payload as {
        entries: Entry[];
        total: number;
        offset: number;
        nextOffset: number | null;
      };
      expect(page.offset).toBe(offset);
      expect(page.entries.length).toBeLessThanOrEqual(120);
      expect(page.total).toBe(CLIENTS + 1);
      keys.push(...page.entries.map((e) => e.key as string));
      offset = page.nextOffset;
      pages += 1;
    }
    expect(pages).toBe(3);
    expect(new Set(keys).size).toBe(CLIENTS + 1);
    expect(keys[0]).toBe("gateway");
    expect(keys).toEqual(expect.arrayContaining(["crowd-0", `crowd-${CLIENTS - 1}`]));

    // Without paging parameters: upstream's answer, the whole list.
    const all = await reader.request("system-presence");
    expect(all.payload).toHaveLength(CLIENTS + 1);
    // Past the end: an empty last page.
    const end = await reader.request("system-presence", { offset: 5_000, limit: 10 });
    expect(end.payload).toMatchObject({ entries: [], total: CLIENTS + 1, nextOffset: null });

    for (const bad of [{ limit: 0 }, { limit: 501 }, { offset: -1 }, { offset: "1" }, { limit: 1.5 }]) {
      const res = await reader.request("system-presence", bad);
      expect(res.ok).toBe(false);
      expect(res.error?.code).toBe("INVALID_REQUEST");
    }
  });

  it("sends coalesced deltas to clients with caps presence-delta and the capped list to the others", async () => {
    const deltaPeer = await fixture.connected({ client: CLI, caps: ["presence-delta"] });
    const listPeer = await fixture.connected({ client: CLI });
    const status = (await deltaPeer.request("status")).payload as { presence: { version: number } };
    const base = status.presence.version;

    // A burst: 20 of the crowd leave and 5 new clients join, within one settle window.
    crowd.slice(0, 20).forEach((peer) => peer.close());
    await Promise.all(Array.from({ length: 5 }, (_, i) => join(`late-${i}`)));

    const delta = await presenceAfter(deltaPeer, base, "a presence delta");
    const list = await presenceAfter(listPeer, base, "a presence list");
    // One publication for the whole burst, at the same version for both shapes.
    expect(delta.stateVersion?.presence).toBe(list.stateVersion?.presence);
    const payload = delta.payload as {
      baseVersion: number;
      upsert: Entry[];
      remove: string[];
      total: number;
      ts: number;
    };
    expect(payload.baseVersion).toBeLessThanOrEqual(base);
    expect(payload.upsert.map((e) => e.key).sort()).toEqual([
      "late-0",
      "late-1",
      "late-2",
      "late-3",
      "late-4",
    ]);
    expect(payload.remove.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `crowd-${i}`).sort());
    expect(payload.total).toBe(CLIENTS - 20 + 5 + 1);
    expect(payload.ts).toEqual(expect.any(Number));
    expect(delta.payload).not.toHaveProperty("presence");

    const listed = list.payload as { presence: Entry[]; total: number };
    expect(listed.presence).toHaveLength(50);
    expect(listed.total).toBe(CLIENTS - 20 + 5 + 1);
    expect(
      listed.presence
        .slice(1, 6)
        .map((e) => e.key)
        .sort(),
    ).toEqual(payload.upsert.map((e) => e.key).sort());
    expect(listPeer.events("presence").every((e) => Array.isArray(e.payload.presence))).toBe(true);

    // Nothing else was published for the burst: one event each, seq contiguous.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(deltaPeer.events("presence").filter((e) => (e.stateVersion?.presence ?? 0) > base)).toHaveLength(
      1,
    );
    const seqs = deltaPeer.frames.filter((f) => f.type === "event" && f.seq).map((f) => f.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  });
});
