import Database from "better-sqlite3";
import fs from "node:fs";
import path from "node:path";
import { StateStore } from "../src/store/state-store.js";
import { freePort, runDoctorCli } from "./helpers/doctor-fixtures.js";
import {
  killAll,
  localConfig,
  makeTempHome,
  startGateway,
  TEST_TOKEN,
  type TempHome,
} from "./helpers/gateway-process.js";
import { WsPeer } from "./helpers/ws-peer.js";

jest.setTimeout(60_000);

const PAGE = 4096;

/**
 * A state.db as the gateway leaves it after `runs` finished runs (a user and an assistant message of
 * `bytes` each): the gateway's schema, filled in one transaction (20,000 commits would take seconds).
 */
function writeRuns(file: string, runs: number, bytes = 600): void {
  StateStore.open(file).close();
  const db = new Database(file);
  try {
    const text = "lorem ipsum dolor sit amet ".repeat(Math.ceil(bytes / 27)).slice(0, bytes);
    const session = "main-session";
    const insertRun = db.prepare(
      `INSERT INTO runs (run_id, dedupe_key, kind, session_key, session_id, agent_id, status, text,
         accepted_at, started_at, ended_at, meta)
       VALUES (?, ?, 'agent', 'agent:main:main', ?, 'main', 'ok', ?, ?, ?, ?, '{}')`,
    );
    const insertMessage = db.prepare(
      "INSERT INTO messages (session_id, run_id, role, text, state, ts) VALUES (?, ?, ?, ?, 'final', ?)",
    );
    db.transaction(() => {
      db.prepare(
        "INSERT INTO sessions (key, session_id, agent_id, created_at, updated_at) VALUES ('agent:main:main', ?, 'main', 1, ?)",
      ).run(session, runs);
      for (let i = 0; i < runs; i += 1) {
        const runId = `run-${i}`;
        insertRun.run(runId, `agent:${runId}`, session, text, i, i, i + 1);
        insertMessage.run(session, runId, "user", text, i);
        insertMessage.run(session, runId, "assistant", text, i + 1);
      }
    })();
  } finally {
    db.close();
  }
}

/** Overwrites most of one b-tree page near the end of the file: the header and schema stay readable. */
function corruptAPage(file: string): void {
  const pages = fs.statSync(file).size / PAGE;
  const fd = fs.openSync(file, "r+");
  try {
    fs.writeSync(fd, Buffer.alloc(PAGE - 200, 0xa5), 0, PAGE - 200, (pages - 3) * PAGE + 100);
  } finally {
    fs.closeSync(fd);
  }
}

let home: TempHome;
const peers: WsPeer[] = [];
const dbFile = () => path.join(home.stateDir, "state.db");

let port: number;

beforeEach(async () => {
  home = makeTempHome();
  port = await freePort();
  // On the configured port, where doctor looks for it.
  home.writeConfig(localConfig({ port }));
  fs.mkdirSync(home.stateDir, { recursive: true });
});

const start = () => startGateway(home.env, ["gateway"]);

afterEach(async () => {
  peers.splice(0).forEach((peer) => peer.close());
  await killAll();
  home.cleanup();
});

async function connect(url: string): Promise<WsPeer> {
  const peer = await WsPeer.open(url);
  peers.push(peer);
  expect((await peer.connect({ auth: { token: TEST_TOKEN } })).ok).toBe(true);
  return peer;
}

const readyz = (url: string) => fetch(`${url.replace(/^ws:/, "http:")}/readyz`);

describe("state.db integrity at start", () => {
  it("finds corrupt pages when the gateway opens state.db: unready, unhealthy, logged, and reported by doctor", async () => {
    writeRuns(dbFile(), 400);
    corruptAPage(dbFile());
    const gateway = await start();
    const output = gateway.output().stdout + gateway.output().stderr;
    expect(output).toContain(`state database ${dbFile()} is unusable: quick_check found damage (`);

    const probe = await readyz(gateway.url);
    expect(probe.status).toBe(503);
    const body = (await probe.json()) as { ready: boolean; state: string; reason: string };
    expect(body).toMatchObject({ ready: false, state: "ready" });
    expect(body.reason).toContain("quick_check found damage");

    const peer = await connect(gateway.url);
    const health = (await peer.request("health", { probe: true })).payload;
    expect(health.ok).toBe(false);
    expect(health.store.integrityAtOpen).toMatchObject({ ok: false, durationMs: expect.any(Number) });
    expect(health.store.integrityAtOpen.problems[0]).toMatch(/^Tree \d+ page \d+/);
    const refused = await peer.request("agent", { message: "x", idempotencyKey: "on-corrupt" });
    expect(refused.error).toMatchObject({ code: "UNAVAILABLE" });

    const doctor = await runDoctorCli([], home.env);
    expect(doctor.lines).toContain(`✗ state.db failed quick_check when the gateway opened it: ${dbFile()}`);
    expect(doctor.stdout).toMatch(/^ {2}- Tree \d+ page \d+/m);
    await gateway.stop();
  });

  it("costs little on a realistic store (10k runs), reported by health and doctor", async () => {
    writeRuns(dbFile(), 10_000);
    const gateway = await start();
    const output = gateway.output().stdout + gateway.output().stderr;
    const logged = /state\.db quick_check ok \(([\d.]+) ms\)/.exec(output);
    expect(logged).not.toBeNull();
    expect((await readyz(gateway.url)).status).toBe(200);
    const peer = await connect(gateway.url);
    const health = (await peer.request("health", { probe: true })).payload;
    expect(health).toMatchObject({ ok: true, store: { ok: true, file: dbFile() } });
    const { durationMs } = health.store.integrityAtOpen;
    expect(health.store.integrityAtOpen).toMatchObject({ ok: true, problems: ["ok"] });
    const size = fs.statSync(dbFile()).size;
    process.stdout.write(
      `quick_check at open: ${durationMs} ms for 10000 runs / 20000 messages (${(size / 1024 / 1024).toFixed(1)} MiB state.db)\n`,
    );
    expect(durationMs).toBeLessThan(2_000);

    const doctor = await runDoctorCli([], home.env);
    expect(doctor.lines).toContain(
      `✓ state.db passed quick_check when the gateway opened it (${durationMs} ms)`,
    );
    await gateway.stop();
  });
});
