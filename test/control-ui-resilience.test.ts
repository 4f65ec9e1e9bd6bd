import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { launchBrowser, type TestBrowser } from "./helpers/browser.js";
import { useGateway } from "./helpers/gateway-fixture.js";
import { localConfig, TEST_TOKEN } from "./helpers/gateway-process.js";
import { TcpRelay } from "./helpers/tcp-relay.js";

jest.setTimeout(45_000);

/** Short enough for quick tests, long enough that a loaded machine does not miss a tick by itself. */
const TICK_MS = 1_500;
/** Where the pictures go (CODERCLAW_UI_SCREENSHOTS, else a temp dir): people look at them. */
const SHOTS =
  process.env.CODERCLAW_UI_SCREENSHOTS ?? fs.mkdtempSync(path.join(os.tmpdir(), "coderclaw-ui-shots-"));

/**
 * The Control UI rides out what the network does to its socket: a missed event (a seq gap) and a link
 * that goes silent without closing. A real TCP relay between chromium and the gateway makes the faults.
 */
describe("Control UI recovery", () => {
  const fixture = useGateway(
    localConfig(
      { tickIntervalMs: TICK_MS },
      {
        providers: { echo: { type: "echo", delayMs: 30 } },
        agents: { list: [{ id: "main", default: true }] },
      },
    ),
  );
  let browser: TestBrowser;
  let relay: TcpRelay;
  const pages: Page[] = [];
  const status = (page: Page) => page.getByTestId("connection-status");

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  beforeEach(async () => {
    relay = await TcpRelay.start(fixture.gateway.port);
  });
  afterEach(async () => {
    await Promise.all(pages.splice(0).map((page) => page.close()));
    await relay?.close();
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** A signed-in page that reaches the gateway through the relay. */
  async function signedIn(pathname = "/"): Promise<Page> {
    const page = await browser.newPage();
    pages.push(page);
    await page.goto(`http://127.0.0.1:${relay.port}${pathname}#token=${TEST_TOKEN}`);
    await status(page).getByText("Connected").waitFor({ timeout: 10_000 });
    return page;
  }

  it("a missed presence event (seq gap) refreshes the overview and says so, without reconnecting", async () => {
    const page = await signedIn("/");
    const presence = page.getByRole("region", { name: "Presence" });
    await page.getByTestId("lifecycle-state").getByText("ready").waitFor();
    const connectionsBefore = await page.locator("dt:text-is('Connections') + dd").textContent();
    const dropped = relay.dropNextEvent(
      (frame) =>
        frame.event === "presence" &&
        frame.payload.presence.some((entry: { host?: string }) => entry.host === "gap-witness"),
    );
    await fixture.connected({
      client: { id: "test", displayName: "gap-witness", version: "1", platform: "linux", mode: "ui" },
    });
    const missed = await dropped;
    // The next event (a tick within a second) shows the gap; the page re-reads what it shows.
    const note = status(page).getByTestId("gap-notice");
    await note.waitFor({ timeout: 10_000 });
    expect(await note.textContent()).toMatch(
      new RegExp(`event gap \\(expected seq ${missed.seq}, got ${missed.seq! + 1}\\)`),
    );
    await presence.getByText("gap-witness").waitFor({ timeout: 5_000 });
    await page
      .locator("dt:text-is('Connections') + dd")
      .getByText(String(Number(connectionsBefore) + 1))
      .waitFor();
    expect(await status(page).textContent()).toMatch(/^Connected/);
    expect(relay.webSocketCount).toBe(1);
    await page.screenshot({ path: path.join(SHOTS, "recovery-seq-gap.png") });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: path.join(SHOTS, "recovery-seq-gap-phone.png") });
    expect(browser.errors).toEqual([]);
  });

  it("a missed final chat event (seq gap) does not leave the reply streaming", async () => {
    const page = await signedIn("/chat");
    const dropped = relay.dropNextEvent(
      (frame) =>
        frame.event === "chat" &&
        frame.payload?.state === "final" &&
        !frame.payload.runId.startsWith("user-"),
    );
    await page.getByLabel("Message").fill("the last word goes missing");
    await page.getByLabel("Message").press("Enter");
    await dropped;
    // The final event carried the whole reply; the history the page re-reads after the gap has it too.
    await status(page).getByTestId("gap-notice").waitFor({ timeout: 10_000 });
    const reply = page.getByTestId("transcript").getByTestId("message-assistant");
    await reply.getByText("the last word goes missing").waitFor({ timeout: 5_000 });
    await page.waitForFunction("!document.querySelector('.message-streaming')", undefined, {
      timeout: 5_000,
    });
    expect(await page.getByRole("button", { name: "Abort" }).isDisabled()).toBe(true);
    expect(relay.webSocketCount).toBe(1);
    expect(browser.errors).toEqual([]);
  });

  it("a link that goes silent is given up after two tick intervals; the page reconnects when it is back", async () => {
    const page = await signedIn("/");
    await page.evaluate("window.samePage = true");
    const silentSince = Date.now();
    relay.goSilent();
    await status(page)
      .getByText("Reconnecting… (disconnected (4000: tick timeout))")
      .waitFor({ timeout: 10_000 });
    const detectedMs = Date.now() - silentSince;
    // Two intervals after the last frame (which came up to one interval before the silence), not sooner.
    expect(detectedMs).toBeGreaterThanOrEqual(TICK_MS);
    expect(await page.locator("main[data-offline]").count()).toBe(1);
    await page.screenshot({ path: path.join(SHOTS, "recovery-tick-timeout.png") });
    // While the route is down the reconnect attempt waits; the page keeps saying it is not connected.
    await page.waitForTimeout(1_500);
    expect(await status(page).textContent()).toMatch(/^Reconnecting…/);
    const resumedAt = Date.now();
    relay.resume();
    await status(page).getByText("Connected").waitFor({ timeout: 20_000 });
    console.log(
      `silent link: tick timeout seen after ${detectedMs} ms (tick ${TICK_MS} ms); reconnected ${Date.now() - resumedAt} ms after the route came back`,
    );
    expect(await page.evaluate("window.samePage")).toBe(true);
    expect(relay.webSocketCount).toBe(2);
    await page.getByTestId("lifecycle-state").getByText("ready").waitFor();
    // The view is no longer dimmed once the page is connected again.
    await page.locator("main:not([data-offline])").waitFor({ timeout: 5_000 });
    await status(page).getByText("Connected").waitFor();
    await page.screenshot({ path: path.join(SHOTS, "recovery-reconnected.png") });
    expect(browser.errors).toEqual([]);
  });

  it("a reconnect attempt that hangs on the dead route is given up after 10 s and tried again", async () => {
    const page = await signedIn("/");
    relay.goSilent();
    await status(page).getByText("(disconnected (4000: tick timeout))").waitFor({ timeout: 10_000 });
    const hangingSince = Date.now();
    await status(page).getByText("Reconnecting… (connect timed out)").waitFor({ timeout: 20_000 });
    // The attempt starts after the first backoff (800 ms) and gets 10 s to open.
    expect(Date.now() - hangingSince).toBeGreaterThanOrEqual(10_000);
    relay.resume();
    await status(page).getByText("Connected").waitFor({ timeout: 20_000 });
    await page.getByTestId("lifecycle-state").getByText("ready").waitFor();
    expect(browser.errors).toEqual([]);
  });
});
