import fs from "node:fs";
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
import { freePort } from "./helpers/start-tools.js";
import { readyOn, waitFor } from "./helpers/wait-for.js";
import { WsPeer } from "./helpers/ws-peer.js";

jest.setTimeout(40_000);

const homes: TempHome[] = [];
const peers: WsPeer[] = [];

afterEach(async () => {
  peers.splice(0).forEach((peer) => peer.close());
  await killAll();
  homes.splice(0).forEach((home) => home.cleanup());
});

type Config = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function configWith(port: number, extra: Config = {}, rest: Config = {}): Config {
  return localConfig({ port, reload: { mode: "hybrid", debounceMs: 50 }, ...extra }, rest);
}

async function admin(port: number): Promise<WsPeer> {
  const peer = await WsPeer.open(`ws://127.0.0.1:${port}`);
  peers.push(peer);
  expect((await peer.connect({ auth: { token: TEST_TOKEN } })).ok).toBe(true);
  return peer;
}

const occurrences = (text: string, needle: string) => text.split(needle).length - 1;

async function startWith(
  config: Config,
  args?: string[],
): Promise<{ home: TempHome; gateway: GatewayProcess }> {
  const home = makeTempHome();
  homes.push(home);
  home.writeConfig(config);
  const gateway = await startGateway(home.env, args);
  return { home, gateway };
}

describe("an in-process restart applies the new config", () => {
  it("comes back on the new gateway.port, where `coderclaw health` finds it; each instance logs its start once", async () => {
    const [first, second] = [await freePort(), await freePort()];
    const { home, gateway } = await startWith(configWith(first), ["gateway"]);
    const client = await admin(first);

    home.writeConfig(configWith(second));
    expect(await client.waitClose(10_000)).toEqual({ code: 1012, reason: "gateway restarting" });
    expect(client.events("shutdown")).toHaveLength(1);
    await readyOn(second);
    await admin(second);
    const health = await runCli(["health"], home.env);
    expect(health.stderr).toBe("");
    expect(health.code).toBe(0);

    const { stdout } = gateway.output();
    expect(stdout).toContain(`listening on ws://127.0.0.1:${second}`);
    expect(stdout).toContain("gateway restarting (config change (gateway.port))");
    expect(stdout).not.toContain("SIGUSR1");
    // Two instances: two start banners, not four.
    expect(occurrences(stdout, "log file: ")).toBe(2);
    expect(occurrences(stdout, "gateway ready")).toBe(2);
  });

  it("keeps a port pinned by --port, and says so", async () => {
    const [pinned, other] = [await freePort(), await freePort()];
    const { home, gateway } = await startWith(configWith(pinned), ["gateway", "--port", String(pinned)]);
    const client = await admin(pinned);

    home.writeConfig(configWith(other, { bind: "loopback" }));
    await client.waitClose(10_000);
    await readyOn(pinned);
    await waitFor("the pin line", () =>
      gateway.output().stdout.includes(`restart: gateway.port pinned by --port (${pinned})`)
        ? true
        : undefined,
    );
    await admin(pinned);
  });

  it("keeps a port pinned by CODERCLAW_GATEWAY_PORT, and says so", async () => {
    const [pinned, other] = [await freePort(), await freePort()];
    const home = makeTempHome();
    homes.push(home);
    home.writeConfig(configWith(other));
    const gateway = await startGateway({ ...home.env, CODERCLAW_GATEWAY_PORT: String(pinned) }, ["gateway"]);
    const client = await admin(pinned);

    home.writeConfig(configWith(other, { tickIntervalMs: 20_000 }));
    await client.waitClose(10_000);
    await readyOn(pinned);
    expect(gateway.output().stdout).toContain(
      `restart: gateway.port pinned by CODERCLAW_GATEWAY_PORT (${pinned})`,
    );
  });

  it("writes to the new logging.file after a restart, and no longer to the old one", async () => {
    const port = await freePort();
    const { home, gateway } = await startWith(configWith(port), ["gateway"]);
    const client = await admin(port);
    const oldFile = path.join(home.stateDir, "logs", "gateway.log");
    const newFile = path.join(home.home, "elsewhere", "gateway-new.log");

    home.writeConfig(configWith(port, {}, { logging: { file: newFile } }));
    await client.waitClose(10_000);
    await readyOn(port);
    const newLines = await waitFor("lines in the new file", () => {
      const text = fs.existsSync(newFile) ? fs.readFileSync(newFile, "utf8") : "";
      return text.includes("gateway ready") ? text : undefined;
    });
    expect(newLines).toContain(`log file: ${newFile}`);
    expect(gateway.output().stdout).toContain(`log file: ${newFile}`);
    const oldText = fs.readFileSync(oldFile, "utf8");
    expect(oldText).toContain("config change requires gateway restart (logging.file)");
    expect(oldText).not.toContain(`log file: ${newFile}`);

    // A line logged now (a hot reload) lands in the new file only.
    home.writeConfig(configWith(port, {}, { logging: { file: newFile }, session: { mainKey: "after" } }));
    await waitFor("the hot reload line", () =>
      fs.readFileSync(newFile, "utf8").includes("config hot reload applied (session.mainKey)")
        ? true
        : undefined,
    );
    expect(fs.readFileSync(oldFile, "utf8")).not.toContain("session.mainKey");
  });

  it("keeps the running config, hot changes included, when the file is invalid at restart", async () => {
    const port = await freePort();
    const { home, gateway } = await startWith(configWith(port, {}, { session: { mainKey: "launch" } }), [
      "gateway",
    ]);
    const client = await admin(port);

    home.writeConfig(configWith(port, {}, { session: { mainKey: "hot" } }));
    await client.until(
      () => client.events("reload").find((event) => event.payload.status === "applied"),
      5_000,
      "hot reload applied",
    );
    fs.writeFileSync(home.configPath, "{ gateway: { port: 'not a port' ");
    await client.until(
      () => client.events("reload").find((event) => event.payload.status === "invalid"),
      5_000,
      "invalid reload",
    );
    expect((await client.request("gateway.restart.request", { reason: "operator" })).ok).toBe(true);
    await client.waitClose(10_000);
    await readyOn(port);

    const after = await WsPeer.open(`ws://127.0.0.1:${port}`);
    peers.push(after);
    const hello = await after.connect({ auth: { token: TEST_TOKEN } });
    expect(hello.payload.snapshot.sessionDefaults.mainSessionKey).toBe("agent:main:hot");
    expect(gateway.output().stderr).toMatch(
      /restart: .*coderclaw\.json: config invalid .*; keeping the running config/,
    );
  });

  it("tells command agents the port it listens on (CODERCLAW_GATEWAY_PORT), also after moving to a new one", async () => {
    const [first, second] = [await freePort(), await freePort()];
    const agents = {
      providers: {
        probe: {
          type: "command",
          command: [
            process.execPath,
            "-e",
            "process.stdout.write('port ' + process.env.CODERCLAW_GATEWAY_PORT)",
          ],
        },
      },
      agents: { defaults: { model: "probe" } },
    };
    const { home } = await startWith(configWith(first, {}, agents), ["gateway"]);
    const portSeenBy = async (client: WsPeer, key: string) => {
      client.send({
        type: "req",
        id: key,
        method: "agent",
        params: { message: "port?", idempotencyKey: key },
      });
      const final = await client.until(
        () => client.frames.filter((frame) => frame.id === key)[1],
        10_000,
        key,
      );
      return final.payload.result.payloads[0].text;
    };
    const before = await admin(first);
    expect(await portSeenBy(before, "run-before")).toBe(`port ${first}`);

    home.writeConfig(configWith(second, {}, agents));
    await before.waitClose(10_000);
    await readyOn(second);
    expect(await portSeenBy(await admin(second), "run-after")).toBe(`port ${second}`);
  });
});
