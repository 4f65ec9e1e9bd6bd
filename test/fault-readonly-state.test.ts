import path from "node:path";
import {
  killAll,
  localConfig,
  makeTempHome,
  runCli,
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

function gatewayEnv(): NodeJS.ProcessEnv {
  return { ...home.env, CODERCLAW_STATE_DIR: stateDir(), CODERCLAW_CONFIG_PATH: home.configPath };
}

async function connect(): Promise<WsPeer> {
  const peer = await WsPeer.open(gateway!.url);
  peers.push(peer);
  expect((await peer.connect({ auth: { token: TEST_TOKEN } })).ok).toBe(true);
  return peer;
}

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

  it("a state dir that turned read-only: the gateway refuses to start with one clear line, and loses nothing", async () => {
    home.writeConfig(localConfig({}, { logging: { file: path.join(home.home, "gateway.log") } }));
    gateway = await startGateway(gatewayEnv());
    const first = await connect();
    const acked = await runOnce(first, "first");
    expect(acked.ok).toBe(true);
    first.close();
    await gateway.stop();
    gateway = undefined;

    disk.setReadOnly(true);
    const refused = await runCli(["gateway", "--port", "0"], gatewayEnv());
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split("\n")).toEqual([
      `Gateway failed to start: the state dir ${stateDir()} is not writable (EROFS: read-only file system). Make it writable by this user, or set CODERCLAW_STATE_DIR to a writable directory.`,
    ]);

    disk.setReadOnly(false);
    gateway = await startGateway(gatewayEnv());
    const peer = await connect();
    // The same idempotency key answers with the run that was acked before, from state.db.
    const again = await runOnce(peer, "first");
    expect(again.ok).toBe(true);
    expect(again.payload.runId).toBe(acked.payload.runId);
    expect((await peer.request("health")).payload.ok).toBe(true);
  });
});
