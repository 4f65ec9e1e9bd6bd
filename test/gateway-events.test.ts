import { GatewayClient, type EventFrameIn, type GapRecovery } from "../src/client/gateway-client.js";
import { useGateway } from "./helpers/gateway-fixture.js";
import { killAll, localConfig, makeTempHome, startGateway, TEST_TOKEN } from "./helpers/gateway-process.js";
import { WsPeer, type Frame } from "./helpers/ws-peer.js";

type Paused = { _socket: { pause(): void; resume(): void } };
const pause = (peer: WsPeer) => (peer.socket as unknown as Paused)._socket.pause();
const resume = (peer: WsPeer) => (peer.socket as unknown as Paused)._socket.resume();

function expectContiguous(frames: Frame[]): number[] {
  const seqs = frames
    .filter((f) => f.type === "event" && typeof f.seq === "number")
    .map((f) => f.seq as number);
  seqs.forEach((seq, index) => expect(seq).toBe(index + 1));
  return seqs;
}

async function status(peer: WsPeer) {
  const res = await peer.request("status");
  return res.payload as { connections: { count: number } };
}

describe("events, seq and keepalive", () => {
  const fixture = useGateway(localConfig({ tickIntervalMs: 200 }));
  const connected = (params: Record<string, unknown> = {}) => fixture.connected(params);

  it("sends tick events every tickIntervalMs, numbered by a per-connection seq starting at 1", async () => {
    const peer = await connected();
    await peer.until(() => peer.events("tick").length >= 3, 3_000, "three ticks");
    expectContiguous(peer.frames);
    const ticks = peer.events("tick");
    expect(ticks[0]?.payload.ts).toEqual(expect.any(Number));
  });

  it("terminates a peer that stops answering pings (a silently dropped TCP peer does not leak)", async () => {
    const observer = await connected({ client: { id: "cli", version: "1", platform: "linux", mode: "cli" } });
    const silent = await connected();
    expect((await status(observer)).connections.count).toBe(2);
    pause(silent);
    const deadline = Date.now() + 4_000;
    let count = 2;
    while (Date.now() < deadline && count !== 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      count = (await status(observer)).connections.count;
    }
    expect(count).toBe(1);
    resume(silent);
    await silent.waitClose();
  });

  it("counts only events a connection is entitled to: inspect subscribers see more, nobody sees a false gap", async () => {
    const subscriber = await connected({ caps: ["inspect"] });
    const plain = await connected({ scopes: ["operator.read"] });
    const visitor = await connected();
    visitor.close();
    await subscriber.until(() => subscriber.events("inspect").length > 0, 3_000, "inspect events");
    await plain.until(() => plain.events("tick").length >= 2, 3_000, "ticks");
    await subscriber.until(() => subscriber.events("tick").length >= 2, 3_000, "ticks");
    expectContiguous(plain.frames);
    expectContiguous(subscriber.frames);
    expect(plain.events("inspect")).toHaveLength(0);
  });

  it("publishes a join storm in one broadcast or a few, at most one per 250 ms", async () => {
    const observer = await connected({ client: { id: "cli", version: "1", platform: "linux", mode: "cli" } });
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        connected({
          client: { id: "test", version: "1", platform: "linux", mode: "ui", instanceId: `storm-${i}` },
        }),
      ),
    );
    await observer.until(
      () =>
        observer
          .events("presence")
          .some(
            (e) =>
              e.payload.presence.filter((p: { instanceId?: string }) => p.instanceId?.startsWith("storm-"))
                .length === 20,
          ),
      3_000,
      "presence with all 20 clients",
    );
    const elapsed = Date.now() - started;
    // Published when the joins settle (and at least once a second while they go on).
    expect(observer.events("presence").length).toBeLessThanOrEqual(Math.ceil(elapsed / 1000) + 1);
    expect(observer.events("presence").every((e) => typeof e.stateVersion?.presence === "number")).toBe(true);
  });
});

describe("hello-ok snapshot", () => {
  const fixture = useGateway(localConfig());

  async function join(instanceId: string) {
    const peer = await fixture.open();
    const res = await peer.connect({
      auth: { token: TEST_TOKEN },
      client: { id: "test", version: "1", platform: "linux", mode: "ui", instanceId },
    });
    expect(res.ok).toBe(true);
    return { peer, hello: res.payload };
  }
  const instanceIds = (presence: Array<{ instanceId?: string }>) =>
    presence.map((p) => p.instanceId).filter((id) => id !== undefined);
  /** Waits for the presence broadcast that includes `instanceId`, and returns it. */
  async function broadcastWith(peer: WsPeer, instanceId: string) {
    const hasIt = (e: Frame) => instanceIds(e.payload.presence).includes(instanceId);
    await peer.until(() => peer.events("presence").some(hasIt), 3_000, `presence with ${instanceId}`);
    return peer.events("presence").filter(hasIt).at(-1)!;
  }

  it("carries the presence clients were last sent, with its version; a later join arrives as a presence event", async () => {
    const first = await join("snap-a");
    // Once snap-a has been broadcast, it is what every client has.
    const broadcast = await broadcastWith(first.peer, "snap-a");

    const second = await join("snap-b");
    expect(instanceIds(second.hello.snapshot.presence)).toContain("snap-a");
    expect(second.hello.snapshot.stateVersion.presence).toBe(broadcast.stateVersion?.presence);

    // Its own join (a newer version) reaches it, and everyone, in the next broadcast.
    const next = await broadcastWith(second.peer, "snap-b");
    expect(next.stateVersion?.presence).toBeGreaterThan(second.hello.snapshot.stateVersion.presence);
  });

  it("gives every client the same shared part and its own connId", async () => {
    // Right after a broadcast, the next one is at least 250 ms away: both joins see the same presence.
    const first = await join("same-0");
    await broadcastWith(first.peer, "same-0");
    const [a, b] = await Promise.all([join("same-a"), join("same-b")]);
    expect(a.hello.server.connId).not.toBe(b.hello.server.connId);
    const shared = (hello: Record<string, unknown>) => {
      const {
        server: _server,
        snapshot,
        ...rest
      } = hello as { server: unknown; snapshot: Record<string, unknown> };
      const { uptimeMs: _uptime, ...snapshotRest } = snapshot;
      return { ...rest, snapshot: snapshotRest };
    };
    expect(shared(a.hello)).toEqual(shared(b.hello));
  });

  it("arrives whole when the presence makes it large (sent as two WebSocket fragments)", async () => {
    const first = await join("large-0");
    const text = "p".repeat(16 * 1024);
    await first.peer.request("system-event", { text, instanceId: "large-text" });
    await broadcastWith(first.peer, "large-text");

    const second = await join("large-1");
    const presence = second.hello.snapshot.presence as Array<{ instanceId?: string; text?: string }>;
    expect(presence.find((p) => p.instanceId === "large-text")?.text).toBe(text);
    expect(second.hello.server.connId).toEqual(expect.any(String));
  });
});

describe("slow consumers", () => {
  const fixture = useGateway(localConfig({ maxBufferedBytes: 64 * 1024 }));
  const connected = (params: Record<string, unknown> = {}) => fixture.connected(params);
  const clients: GatewayClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });

  /**
   * Presence broadcasts of several MB each, until the paused peer's send buffer is past the limit: each
   * round waits for the driver to receive its broadcast, so every round is a broadcast of its own.
   */
  async function flood(driver: WsPeer, rounds: number, tag: string) {
    for (let i = 0; i < rounds; i += 1) {
      const instanceId = `${tag}-${i}`;
      await driver.request("system-event", { text: "z".repeat(400 * 1024), instanceId });
      await driver.until(
        () =>
          driver
            .events("presence")
            .some((e) =>
              (e.payload.presence as Array<{ instanceId?: string }>).some((p) => p.instanceId === instanceId),
            ),
        3_000,
        `presence with ${instanceId}`,
      );
    }
  }

  it("drops dropIfSlow events for a slow client and the client repairs the gap by refreshing health and presence", async () => {
    const driver = await connected({ client: { id: "cli", version: "1", platform: "linux", mode: "cli" } });
    const client = new GatewayClient({
      url: fixture.url,
      token: TEST_TOKEN,
      client: { id: "test", mode: "test" },
    });
    clients.push(client);
    await client.connect();
    const events: EventFrameIn[] = [];
    const gaps: GapRecovery[] = [];
    client.on("event", (frame) => events.push(frame));
    client.on("gap", (gap) => gaps.push(gap));
    const socket = (client as unknown as { socket: Paused })["socket"]._socket;
    socket.pause();
    await flood(driver, 12, "gap");
    socket.resume();
    // A fixed wait on purpose: the gateway's send buffer to this client drains out of sight. A reply
    // cannot mark the moment (a request while the buffer is over the limit closes the client as a slow
    // consumer) and a probe event would itself be dropped; "after" must find the buffer empty.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await driver.request("system-event", { text: "after", instanceId: "gap-after" });
    const deadline = Date.now() + 8_000;
    while (gaps.length === 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(gaps.length).toBeGreaterThan(0);
    const gap = gaps[0] as GapRecovery;
    expect(gap.received).toBeGreaterThan(gap.expected);
    expect(gap.health).toMatchObject({ ok: true });
    expect(Array.isArray(gap.presence)).toBe(true);
    expect(client.hello).not.toBeNull();
  });

  it("closes a connection whose send buffer passes maxBufferedBytes with 1008 'slow consumer'", async () => {
    const driver = await connected({ client: { id: "cli", version: "1", platform: "linux", mode: "cli" } });
    const slow = await connected();
    pause(slow);
    await flood(driver, 10, "slow");
    await driver.request("health", { probe: true });
    const slowConnId = (
      slow.frames.find((f) => f.id === "connect")?.payload as { server: { connId: string } }
    ).server.connId;
    let state: unknown = null;
    const deadline = Date.now() + 3_000;
    while (Date.now() < deadline && state !== "closing") {
      const tree = (await driver.request("inspect.snapshot")).payload as {
        actors: Array<{ id: string; state: unknown; children: unknown[] }>;
      };
      const walk = (nodes: Array<{ id: string; state: unknown; children: unknown[] }>): unknown =>
        nodes
          .map((n) => (n.id === `connection:${slowConnId}` ? n.state : walk(n.children as typeof nodes)))
          .find((s) => s !== undefined);
      state = walk(tree.actors);
    }
    expect(state).toBe("closing");
    resume(slow);
    expect(await slow.waitClose(5_000)).toEqual({ code: 1008, reason: "slow consumer" });
  });
});

describe("shutdown", () => {
  it("broadcasts shutdown before closing every socket with 1012 and exits 0 on SIGTERM", async () => {
    const home = makeTempHome();
    home.writeConfig(localConfig());
    const gateway = await startGateway(home.env);
    const peer = await WsPeer.open(gateway.url);
    try {
      await peer.connect({ auth: { token: TEST_TOKEN } });
      const started = Date.now();
      gateway.child.kill("SIGTERM");
      const closed = await peer.waitClose(5_000);
      expect(closed.code).toBe(1012);
      const shutdown = peer.events("shutdown");
      expect(shutdown).toHaveLength(1);
      expect(shutdown[0]?.payload).toEqual({ reason: "gateway stopping", restartExpectedMs: null });
      const exit = await gateway.exited;
      expect(exit).toEqual({ code: 0, signal: null });
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      peer.close();
      await gateway.stop();
      await killAll();
      home.cleanup();
    }
  });
});
