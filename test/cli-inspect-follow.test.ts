import { killSpawned, spawnCli } from "./helpers/cli-process.js";
import {
  killAll,
  localConfig,
  makeTempHome,
  startGateway,
  TEST_TOKEN,
  type TempHome,
} from "./helpers/gateway-process.js";
import { freePort } from "./helpers/start-tools.js";
import { WsPeer } from "./helpers/ws-peer.js";

jest.setTimeout(40_000);

const homes: TempHome[] = [];

afterEach(async () => {
  await killSpawned();
  await killAll();
  homes.splice(0).forEach((home) => home.cleanup());
});

/** A client that connects and leaves: the follower sees its connection actor start and close. */
async function visit(url: string): Promise<void> {
  const peer = await WsPeer.open(url);
  expect((await peer.connect({ auth: { token: TEST_TOKEN } })).ok).toBe(true);
  peer.close();
}

const occurrences = (text: string, pattern: RegExp) => text.match(new RegExp(pattern, "gm"))?.length ?? 0;
const TREE_ROOT = /^supervisor\b/;

describe("coderclaw gateway inspect --follow", () => {
  it("rides through a config restart: one notice on stderr, the new tree, then its transitions; exit 0 on SIGTERM", async () => {
    const home = makeTempHome();
    homes.push(home);
    const config = (extra: Record<string, unknown>) =>
      localConfig({ reload: { mode: "hybrid", debounceMs: 50 } }, extra);
    home.writeConfig(config({}));
    const gateway = await startGateway(home.env);
    const follow = spawnCli(["gateway", "inspect", "--follow"], {
      ...home.env,
      CODERCLAW_GATEWAY_PORT: String(gateway.port),
    });
    await follow.waitFor(TREE_ROOT);
    home.writeConfig(config({ logging: { maxFiles: 3 } }));
    await follow.waitFor(/^Gateway restarting; reconnecting when it is back\.$/m, "stderr", 10_000);
    // The tree of the new instance, printed once the follower is subscribed again.
    await follow.waitFor(/^supervisor\b[\s\S]*^supervisor\b/m, "stdout", 10_000);
    const before = follow.stdout().length;
    await visit(gateway.url);
    await follow.waitFor(/connection:\S+ {2}closed \[done\]/);
    expect(follow.stdout().slice(before)).toMatch(/connection:\S+ {2}ready \(AUTHENTICATED\)/);
    follow.child.kill("SIGTERM");
    expect(await follow.exited).toEqual({ code: 0, signal: null });
    expect(follow.stderr()).toBe("Gateway restarting; reconnecting when it is back.\n");
    await gateway.stop();
  });

  it("waits through a stop until a gateway is back on the port, then follows it", async () => {
    const home = makeTempHome();
    homes.push(home);
    home.writeConfig(localConfig({ port: await freePort() }));
    const first = await startGateway(home.env, ["gateway"]);
    const follow = spawnCli(["gateway", "inspect", "--follow", "--json"], home.env);
    await follow.waitFor(/"actors":/);
    await first.stop();
    await follow.waitFor(
      /^Gateway went away \(1012 service restart: gateway stopping\); reconnecting when it is back\.$/m,
      "stderr",
    );
    const second = await startGateway(home.env, ["gateway"]);
    await follow.waitFor(/("actors":[\s\S]*){2}/, "stdout", 10_000);
    await visit(second.url);
    // The visitor's connection actor, on the second gateway, reaches `closed`.
    await follow.waitFor(/"kind":"stopped","actor":\{"id":"connection:/);
    follow.child.kill("SIGINT");
    expect(await follow.exited).toEqual({ code: 0, signal: null });
    // Every stdout line is one JSON object: two snapshots, and transitions.
    const records = follow
      .stdout()
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.filter((record) => "actors" in record)).toHaveLength(2);
    expect(occurrences(follow.stderr(), /^Gateway /)).toBe(1);
    await second.stop();
  });
});
