import { killAll, localConfig, makeTempHome, startGateway, TEST_TOKEN } from "./helpers/gateway-process.js";
import { WsPeer } from "./helpers/ws-peer.js";

const TICK_MS = 500;

describe("keepalive: a peer that stops answering pings is cut off within two ticks of its last pong", () => {
  const home = makeTempHome();
  let url = "";
  let stopGateway: () => Promise<unknown> = async () => undefined;
  const peers: WsPeer[] = [];

  beforeAll(async () => {
    home.writeConfig(localConfig({ tickIntervalMs: TICK_MS }));
    const gateway = await startGateway(home.env);
    url = gateway.url;
    stopGateway = () => gateway.stop();
  });
  afterEach(() => peers.splice(0).forEach((peer) => peer.close()));
  afterAll(async () => {
    await stopGateway();
    await killAll();
    home.cleanup();
  });

  /** A connected peer that answers pings by hand while `answering()` holds; returns when it last did. */
  async function peerAnsweringPings(answering: () => boolean) {
    const peer = await WsPeer.open(url, { autoPong: false });
    peers.push(peer);
    const pongs: number[] = [];
    peer.socket.on("ping", (data) => {
      if (!answering()) return;
      peer.socket.pong(data);
      pongs.push(Date.now());
    });
    expect((await peer.connect({ auth: { token: TEST_TOKEN } })).ok).toBe(true);
    return { peer, pongs };
  }

  it("keeps a peer that answers every ping", async () => {
    const { peer, pongs } = await peerAnsweringPings(() => true);
    await peer.until(() => pongs.length >= 4, 8 * TICK_MS, "four answered pings");
    expect(peer.closed).toBeNull();
  });

  it("closes a peer that goes silent no later than two ticks after its last pong", async () => {
    let answering = true;
    const { peer, pongs } = await peerAnsweringPings(() => answering);
    await peer.until(() => pongs.length >= 2, 6 * TICK_MS, "two answered pings");
    answering = false;
    const lastPong = pongs[pongs.length - 1] as number;
    await peer.waitClose(6 * TICK_MS);
    const reapedAfterMs = Date.now() - lastPong;
    // The ping that goes unanswered is sent one tick after the last pong; the next tick cuts the peer.
    expect(reapedAfterMs).toBeGreaterThan(TICK_MS);
    expect(reapedAfterMs).toBeLessThanOrEqual(2 * TICK_MS + 150);
    expect(peer.closed?.code).toBe(1006);
  });

  it("closes a peer that never answers a ping within two ticks of its hello", async () => {
    const { peer } = await peerAnsweringPings(() => false);
    const helloAt = Date.now();
    await peer.waitClose(6 * TICK_MS);
    expect(Date.now() - helloAt).toBeLessThanOrEqual(2 * TICK_MS + 150);
  });
});
