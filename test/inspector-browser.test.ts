/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { startInspectorHarness, type InspectorHarness } from "./helpers/inspector-harness/harness-server.js";
import {
  killAll,
  localConfig,
  makeTempHome,
  startGateway,
  TEST_TOKEN,
  type GatewayProcess,
  type TempHome,
} from "./helpers/gateway-process.js";
import { connectParams, WsPeer } from "./helpers/ws-peer.js";

const CHROMIUM = "/usr/lib/chromium/chromium";
const CHROMIUM_FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const MiB = 1024 * 1024;
const RUN_STORM = 100;
/** How long a client waits for the gateway: generous, for a machine shared with other heavy work. */
const SLOW = 30_000;
const CLI_CLIENT = { id: "cli", version: "1.0.0", platform: "linux", mode: "cli" };
/** Where the screenshots go, to be looked at. */
const SHOTS = path.join(os.tmpdir(), "coderclaw-inspector-screenshots");

const chart = 'svg.ins-chart[aria-label="Statechart of the connection machine"]';
const activeState = (key: string) => `${chart} g.ins-s[data-state-key="${key}"][data-active="true"]`;

describe("the statechart inspector in a real browser", () => {
  let home: TempHome | undefined;
  let gateway: GatewayProcess | undefined;
  let harness: InspectorHarness | undefined;
  let context: BrowserContext | undefined;
  let profile: string | undefined;
  let page: Page;
  const peers: WsPeer[] = [];
  const pageErrors: string[] = [];
  let requests = 0;

  beforeAll(async () => {
    home = makeTempHome();
    // A small send buffer makes a client that stops reading a slow consumer quickly (ready → closing).
    // A generous handshake deadline: on a loaded machine 1000 handshakes at once may queue for seconds.
    home.writeConfig(localConfig({ maxBufferedBytes: 2 * MiB, handshakeTimeoutMs: 60_000 }));
    [gateway, harness] = await Promise.all([startGateway(home.env), startInspectorHarness()]);
    profile = fs.mkdtempSync(path.join(os.tmpdir(), "coderclaw-chromium-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1280, height: 800 },
      colorScheme: "light",
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(20_000);
    page.on("console", (message) => {
      if (message.type() === "error") pageErrors.push(message.text());
    });
    page.on("pageerror", (error) => pageErrors.push(String(error)));
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.goto(`${harness.url}?gw=${encodeURIComponent(gateway.url)}#token=${TEST_TOKEN}`);
  }, 60_000);

  afterEach(() => peers.splice(0).forEach((peer) => peer.close()));

  afterAll(async () => {
    peers.splice(0).forEach((peer) => peer.close());
    await context?.close();
    await harness?.close();
    await gateway?.stop();
    await killAll();
    home?.cleanup();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  });

  async function rawClient(): Promise<WsPeer> {
    const peer = await WsPeer.open(gateway!.url);
    peers.push(peer);
    return peer;
  }

  /** Completes the handshake, waiting long: on a loaded machine a handshake can queue for seconds. */
  async function handshake(peer: WsPeer, params: Record<string, unknown>): Promise<void> {
    await peer.until(
      () => peer.frames.find((frame) => frame.event === "connect.challenge"),
      SLOW,
      "challenge",
    );
    peer.send({
      type: "req",
      id: "connect",
      method: "connect",
      params: connectParams({ auth: { token: TEST_TOKEN }, ...params }),
    });
    const res = await peer.response("connect", SLOW);
    if (!res.ok) throw new Error(`connect failed: ${JSON.stringify(res.error)}`);
  }

  async function connectedClient(scopes: string[]): Promise<WsPeer> {
    const peer = await rawClient();
    await handshake(peer, { scopes });
    return peer;
  }

  async function request(peer: WsPeer, method: string, params: unknown) {
    const id = `${method}-${++requests}`;
    peer.send({ type: "req", id, method, params });
    return peer.response(id, SLOW);
  }

  /**
   * A CLI client without scopes: it holds a connection (an actor in the tree) and adds no presence entry, so
   * the figures are the inspector's, not 1000 hello-ok presence lists'.
   */
  async function holdConnection(): Promise<void> {
    await handshake(await rawClient(), { scopes: [], client: CLI_CLIENT });
  }

  const connectionRowIds = () =>
    page.$$eval('[role="treeitem"][data-actor-id^="connection:"]', (rows) =>
      rows.map((row) => (row as HTMLElement).dataset.actorId!),
    );

  it("shows the live actor tree, navigable with the keyboard, and draws the selected actor's machine", async () => {
    await page.waitForSelector('#status[data-status="connected"]');
    for (const id of ["supervisor", "gateway", "reload", "connections"]) {
      await page.waitForSelector(`[role="treeitem"][data-actor-id="${id}"]`);
    }
    // The page's own connection is in the tree, ready.
    await page.waitForFunction(() =>
      [...document.querySelectorAll('[role="treeitem"][data-actor-id^="connection:"] .ins-state')].some(
        (state) => state.textContent === "ready",
      ),
    );
    expect(page.url()).not.toContain("token");

    await page.focus('[role="tree"]');
    await page.keyboard.press("Home");
    await page.waitForSelector('[role="treeitem"][data-actor-id="supervisor"][aria-selected="true"]');
    await page.waitForSelector(
      'svg[aria-label="Statechart of the supervisor machine"] g.ins-s[data-state-key="running"][data-active="true"]',
    );
    expect(
      await page.$eval(
        'svg[aria-label="Statechart of the supervisor machine"] g.ins-s[data-state-key="supervising"]',
        (node) => node.getAttribute("data-active"),
      ),
    ).toBe("true");
    await page.keyboard.press("ArrowDown");
    const second = await page.$eval('[role="treeitem"][aria-selected="true"]', (row) =>
      row.getAttribute("aria-level"),
    );
    expect(second).toBe("2");
    // Left folds an open row, then moves to the parent; Right unfolds.
    await page.keyboard.press("ArrowLeft");
    await page.waitForSelector('[role="treeitem"][data-actor-id="gateway"][aria-expanded="false"]');
    await page.keyboard.press("ArrowLeft");
    await page.waitForSelector('[role="treeitem"][data-actor-id="supervisor"][aria-selected="true"]');
    await page.keyboard.press("ArrowLeft");
    await page.waitForSelector('[role="treeitem"][data-actor-id="supervisor"][aria-expanded="false"]');
    expect(await page.$$('[role="treeitem"]')).toHaveLength(1);
    await page.keyboard.press("ArrowRight");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowRight");
    await page.waitForSelector('[role="treeitem"][data-actor-id="connections"]');
  }, 30_000);

  it("shows a new WebSocket client appear and move through awaiting-connect → challenged → ready → closing, and steps back to an earlier state", async () => {
    const before = await connectionRowIds();
    const raw = await rawClient();
    await raw.until(() => raw.frames.find((frame) => frame.event === "connect.challenge"), SLOW, "challenge");
    const handle = await page.waitForFunction(
      (known) =>
        [...document.querySelectorAll('[role="treeitem"][data-actor-id^="connection:"]')]
          .map((row) => (row as HTMLElement).dataset.actorId!)
          .find((id) => !known.includes(id)),
      before,
    );
    const actorId = (await handle.jsonValue()) as string;
    await page.click(`[role="treeitem"][data-actor-id="${actorId}"]`);
    await page.waitForSelector(activeState("awaiting-connect"));
    await page.screenshot({ path: path.join(SHOTS, "awaiting-connect.png") });

    // The highlighted state, every frame, from here on: transient states are seen too.
    await page.evaluate((selector) => {
      const seen: string[] = [];
      (window as unknown as { highlighted: string[] }).highlighted = seen;
      const watch = () => {
        const key = document.querySelector(`${selector} g.ins-s[data-active="true"][data-compound="false"]`);
        const current = (key as HTMLElement | null)?.dataset.stateKey;
        if (current && seen[seen.length - 1] !== current) seen.push(current);
        requestAnimationFrame(watch);
      };
      watch();
    }, chart);

    raw.send({
      type: "req",
      id: "connect",
      method: "connect",
      params: {
        minProtocol: 3,
        maxProtocol: 3,
        client: { id: "test", version: "1.0.0", platform: "linux", mode: "test" },
        auth: { token: TEST_TOKEN },
        scopes: ["operator.read"],
      },
    });
    expect((await raw.response("connect", SLOW)).ok).toBe(true);
    await page.waitForSelector(activeState("ready"));
    expect(actorId).toBe(
      `connection:${(raw.frames.find((f) => f.id === "connect")!.payload as { server: { connId: string } }).server.connId}`,
    );

    // Authentication answers at once, so `challenged` lasts no frame; the event log steps back to it.
    await page.click('button[aria-label="Step back"]');
    await page.click('button[aria-label="Step back"]');
    await page.waitForSelector(activeState("challenged"));
    expect(
      await page.$eval('[role="option"][aria-selected="true"] .ins-event', (node) => node.textContent),
    ).toBe("CONNECT_RECEIVED");
    expect(
      await page.$eval(`${chart} g.ins-e[data-taken="true"]`, (edge) => edge.getAttribute("data-event")),
    ).toBe("CONNECT_RECEIVED");
    await page.screenshot({ path: path.join(SHOTS, "stepped-back-challenged.png") });
    await page.click('button[aria-pressed="true"]:has-text("go live")');
    await page.waitForSelector(activeState("ready"));

    // The raw client stops reading while chat replies are broadcast to it: the gateway closes it as a slow
    // consumer (ready → closing), and cuts it off when the close does not complete (closing → closed).
    (raw.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const sender = await connectedClient(["operator.write"]);
    const chunk = "x".repeat(256 * 1024);
    for (let i = 1; i <= 160; i++) {
      const res = await request(sender, "chat.send", {
        sessionKey: "storm",
        message: chunk,
        idempotencyKey: `s${i}`,
      });
      expect(res.ok).toBe(true);
      await sender.until(
        () => sender.events("chat").filter((e) => e.payload.state === "final").length >= i,
        SLOW,
      );
      if ((await page.$(activeState("closing"))) || (await page.$(activeState("closed")))) break;
    }
    await page.waitForSelector(activeState("closed"), { timeout: 10_000 });
    const highlighted = await page.evaluate(
      () => (window as unknown as { highlighted: string[] }).highlighted,
    );
    expect(highlighted.slice(highlighted.indexOf("challenged"))).toEqual([
      "challenged",
      "ready",
      "closing",
      "closed",
    ]);
    expect(highlighted[0]).toBe("awaiting-connect");
    const events = await page.$$eval('[role="option"] .ins-event', (nodes) =>
      nodes.map((node) => node.textContent),
    );
    expect(events.slice(-4)).toEqual(["CONNECT_RECEIVED", "AUTHENTICATED", "CLOSE", "CLOSE_GRACE_ELAPSED"]);
    await page.screenshot({ path: path.join(SHOTS, "closed-light.png") });
  }, 60_000);

  it("hides ended actors on request and filters by machine and state", async () => {
    await page.check('label:has-text("Hide ended actors") input');
    await page.waitForFunction(() => document.querySelectorAll('[role="treeitem"].ins-closed').length === 0);
    await page.uncheck('label:has-text("Hide ended actors") input');
    await page.selectOption('label:has-text("Machine") select', "reload");
    await page.waitForFunction(
      () => !document.querySelector('[role="treeitem"][data-actor-id^="connection:"]'),
    );
    expect(await page.$('[role="treeitem"][data-actor-id="reload"]')).not.toBeNull();
    await page.selectOption('label:has-text("Machine") select', "connection");
    await page.selectOption('label:has-text("State") select', "closed");
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('[role="treeitem"][data-machine="connection"] .ins-state')];
      return rows.length > 0 && rows.every((row) => row.textContent!.startsWith("closed"));
    });
    await page.selectOption('label:has-text("State") select', "");
    await page.selectOption('label:has-text("Machine") select', "");
  });

  it("looks right in dark mode and on a phone-sized screen", async () => {
    await page.emulateMedia({ colorScheme: "dark" });
    await page.screenshot({ path: path.join(SHOTS, "dark.png") });
    const background = await page.$eval(".inspector", (node) => getComputedStyle(node).backgroundColor);
    expect(background).toBe("rgb(20, 23, 29)");
    await page.emulateMedia({ colorScheme: "light" });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: path.join(SHOTS, "phone.png"), fullPage: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it("stays responsive while 1000 clients connect and runs storm, rendering a window of the tree", async () => {
    await page.click('[role="treeitem"][data-actor-id="supervisor"]');
    await page.evaluate(() =>
      (window as unknown as { inspectorTiming: { start(): void } }).inspectorTiming.start(),
    );
    const started = Date.now();
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(Array.from({ length: 100 }, () => holdConnection()));
    }
    const runner = await connectedClient(["operator.write"]);
    for (let i = 0; i < RUN_STORM; i++) {
      runner.send({
        type: "req",
        id: `storm-${i}`,
        method: "chat.send",
        params: { sessionKey: `storm-${i}`, message: "hi", idempotencyKey: `storm-${i}` },
      });
    }
    await runner.until(
      () => runner.events("chat").filter((e) => e.payload.state === "final").length >= RUN_STORM,
      20_000,
      "every storm run's final chat event",
    );
    await page.waitForFunction(
      () => Number(/^(\d+) live/.exec(document.querySelector(".ins-count")!.textContent!)?.[1]) >= 1000,
      undefined,
      { timeout: 20_000 },
    );
    const connectMs = Date.now() - started;
    const timing = await page.evaluate(() =>
      (
        window as unknown as { inspectorTiming: { stop(): { deltas: number[]; longTasks: number[] } } }
      ).inspectorTiming.stop(),
    );
    const sorted = [...timing.deltas].sort((a, b) => a - b);
    const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
    const summary = {
      clients: 1000,
      connectMs,
      frames: sorted.length,
      p50: at(0.5),
      p95: at(0.95),
      max: Math.round(sorted[sorted.length - 1]!),
      longTasks: timing.longTasks.length,
      longestTask: Math.round(Math.max(0, ...timing.longTasks)),
    };
    fs.writeFileSync(path.join(SHOTS, "frame-time.json"), JSON.stringify(summary, null, 2));
    // The tree renders a window of rows, not every actor.
    expect((await page.$$('[role="treeitem"]')).length).toBeLessThan(120);
    expect(summary.frames).toBeGreaterThan(10);
    expect(summary.longestTask).toBeLessThan(1_000);
    await page.screenshot({ path: path.join(SHOTS, "thousand.png") });
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
