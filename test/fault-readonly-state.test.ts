import path from "node:path";
import {
  killAll,
  localConfig,
  makeTempHome,
  startGateway,
  TEST_TOKEN,
  type GatewayProcess,
  type TempHome,
} from "./helpers/gateway-process.js";
import { mountSmallDisk, type SmallDisk } from "./helpers/small-disk.js";
import { WsPeer } from "./helpers/ws-peer.js";

const MiB = 1024 * 1024;
const probe = mountSmallDisk(MiB);
const mountable = !("unavailable" in probe);
if ("unavailable" in probe) {
  process.stdout.write(`skipping the read-only state dir fault tests: ${probe.unavailable}\n`);
} else {
  probe.unmount();
}

let home: TempHome;
let disk: SmallDisk;
let gateway: GatewayProcess | undefined;
const peers: WsPeer[] = [];
const stateDir = () => path.join(disk.dir, "state");
const dbFile = () => path.join(stateDir(), "state.db");

function gatewayEnv(): NodeJS.ProcessEnv {
  return { ...home.env, CODERCLAW_STATE_DIR: stateDir(), CODERCLAW_CONFIG_PATH: home.configPath };
}

async function connect(): Promise<WsPeer> {
  const peer = await WsPeer.open(gateway!.url);
  peers.push(peer);
  expect((await peer.connect({ auth: { token: TEST_TOKEN } })).ok).toBe(true);
  return peer;
}

const readyz = async () => {
  const res = await fetch(`${gateway!.url.replace(/^ws:/, "http:")}/readyz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

async function runOnce(peer: WsPeer, idempotencyKey: string) {
  peer.send({
    type: "req",
    id: idempotencyKey,
    method: "agent",
    params: { message: "kept", idempotencyKey },
  });
  return peer.until(
    () =>
      peer.frames.filter((f) => f.id === idempotencyKey).at(-1)?.payload?.status !== "accepted" &&
      peer.frames.filter((f) => f.id === idempotencyKey).at(-1),
    5_000,
    idempotencyKey,
  );
}

(mountable ? describe : describe.skip)("a state dir that cannot be written", () => {
  beforeEach(() => {
    home = makeTempHome();
    disk = mountSmallDisk(16 * MiB) as SmallDisk;
  });

  afterEach(async () => {
    peers.splice(0).forEach((peer) => peer.close());
    await gateway?.stop();
    gateway = undefined;
    await killAll();
    disk.setReadOnly(false);
    disk.unmount();
    home.cleanup();
  });

  it("starting on a read-only state dir: it serves, and health and /readyz name state.db and the reason", async () => {
    home.writeConfig(localConfig({}, { logging: { file: path.join(home.home, "gateway.log") } }));
    gateway = await startGateway(gatewayEnv());
    const first = await connect();
    expect((await runOnce(first, "first")).ok).toBe(true);
    first.close();
    await gateway.stop();

    disk.setReadOnly(true);
    gateway = await startGateway(gatewayEnv());
    const peer = await connect();
    const health = (await peer.request("health", { probe: true })).payload;
    expect(health.ok).toBe(false);
    expect(health.error).toBe(
      `state database ${dbFile()} is unusable: its directory ${stateDir()} cannot be written (EROFS). Run \`coderclaw doctor\` to check it.`,
    );
    expect(gateway.output().stdout + gateway.output().stderr).toContain(health.error);
    const ready = await readyz();
    expect(ready).toMatchObject({
      status: 503,
      body: { ready: false, state: "ready", reason: health.error },
    });
    const refused = await peer.request("agent", { message: "x", idempotencyKey: "on-ro" });
    expect(refused.error?.code).toBe("UNAVAILABLE");
    expect((await peer.request("status")).ok).toBe(true);
  });
});
