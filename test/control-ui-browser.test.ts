import fs from "node:fs";
import type { Page } from "playwright-core";
import { launchBrowser, type TestBrowser } from "./helpers/browser.js";
import { useGateway } from "./helpers/gateway-fixture.js";
import { localConfig, TEST_TOKEN } from "./helpers/gateway-process.js";
import { WsPeer } from "./helpers/ws-peer.js";

jest.setTimeout(30_000);

/**
 * The Control UI in a real chromium against a real gateway: sign-in, chat with the echo agent, a config
 * edit, live logs, and a gateway restart the page rides out.
 */
describe("Control UI in a browser", () => {
  const fixture = useGateway(
    localConfig(
      {},
      {
        providers: { echo: { type: "echo", delayMs: 30 } },
        agents: { list: [{ id: "main", default: true }] },
      },
    ),
  );
  let browser: TestBrowser;
  const pages: Page[] = [];
  const origin = () => `http://127.0.0.1:${fixture.gateway.port}`;
  const status = (page: Page) => page.getByTestId("connection-status");

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterEach(async () => {
    await Promise.all(pages.splice(0).map((page) => page.close()));
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function open(fragment = `#token=${TEST_TOKEN}`, path = "/"): Promise<Page> {
    const page = await browser.newPage();
    pages.push(page);
    await page.goto(`${origin()}${path}${fragment}`);
    return page;
  }

  async function signedIn(path = "/"): Promise<Page> {
    const page = await open(`#token=${TEST_TOKEN}`, path);
    await status(page).getByText("Connected").waitFor();
    return page;
  }

  it("connects from the dashboard URL, moves the token out of the address bar into session storage", async () => {
    const page = await open();
    await status(page).getByText("Connected").waitFor();
    expect(page.url()).toBe(`${origin()}/`);
    const stored = await page.evaluate<Array<[string, string]>>("Object.entries(sessionStorage)");
    expect(stored).toEqual([[`coderclaw.controlUi.token:127.0.0.1:${fixture.gateway.port}`, TEST_TOKEN]]);
    const connectedMs = () =>
      page.evaluate(() => performance.getEntriesByName("coderclaw:connected")[0]?.startTime ?? null);
    const first = await connectedMs();
    expect(first).not.toBeNull();
    // The target is 1 s on loopback; the bound leaves room for a cold browser on a loaded machine.
    expect(first!).toBeLessThan(3_000);
    await page.getByTestId("lifecycle-state").getByText("ready").waitFor();
    // A reload signs in again from session storage, with nothing in the URL.
    await page.reload();
    await status(page).getByText("Connected").waitFor();
    const again = await connectedMs();
    console.log(
      `navigation to connected: ${Math.round(first!)} ms (fresh browser), ${Math.round(again!)} ms (reload)`,
    );
    // The gateway never saw the token in a request line.
    const log = fs.readFileSync(`${fixture.home.stateDir}/logs/gateway.log`, "utf8");
    expect(log).not.toContain(TEST_TOKEN);
  });

  it("a refused token is dropped and the sign-in form says why; the right one then connects", async () => {
    const rejections = () =>
      fs.readFileSync(`${fixture.home.stateDir}/logs/gateway.log`, "utf8").split("connect rejected").length -
      1;
    const before = rejections();
    const page = await open("#token=wrong-token");
    await page
      .getByTestId("sign-in-error")
      .getByText(/refused the secret/)
      .waitFor();
    expect(await page.getByTestId("sign-in-error").textContent()).toContain("gateway token mismatch");
    await status(page).getByText("Signed out").waitFor();
    expect(await page.evaluate<number>("sessionStorage.length")).toBe(0);
    expect(await page.getByText("coderclaw config get gateway.auth.token").count()).toBe(1);
    // No retry loop with the refused token: the gateway saw one attempt.
    await page.waitForTimeout(1_000); // longer than the first reconnect delay (800 ms)
    await status(page).getByText("Signed out").waitFor();
    expect(rejections() - before).toBe(1);
    await page.getByLabel("Gateway token").fill(TEST_TOKEN);
    await page.getByRole("button", { name: "Connect" }).click();
    await status(page).getByText("Connected").waitFor();
    expect(await page.evaluate<number>("sessionStorage.length")).toBe(1);
  });

  it("chat: sends to the echo agent and the reply streams into the transcript", async () => {
    const page = await signedIn("/chat");
    await page.getByLabel("Message").fill("hello brave new world");
    await page.getByLabel("Message").press("Enter");
    const transcript = page.getByTestId("transcript");
    await transcript.getByTestId("message-user").getByText("hello brave new world").waitFor();
    await transcript.getByTestId("message-assistant").getByText("hello brave new world").waitFor();
    await page.getByRole("button", { name: "Abort" }).isDisabled();
    await page.waitForFunction("!document.querySelector('.message-streaming')");
    expect(await page.getByLabel("Message").inputValue()).toBe("");
    await page.getByRole("button", { name: /agent:main:main/ }).waitFor();
  });

  it("chat: abort stops a streaming reply and keeps what it had said", async () => {
    const page = await signedIn("/chat");
    const words = Array.from({ length: 80 }, (_, index) => `word${index}`).join(" ");
    await page.getByLabel("Message").fill(words);
    await page.getByRole("button", { name: "Send" }).click();
    const streaming = page.locator(".message-assistant.message-streaming");
    await streaming.waitFor();
    await page.getByRole("button", { name: "Abort" }).click();
    const aborted = page.locator(".message-assistant.message-aborted");
    await aborted.waitFor();
    expect(await aborted.locator(".message-text").textContent()).toMatch(/^word0 word1/);
    expect(await aborted.textContent()).not.toContain("word79");
    expect(await page.getByRole("button", { name: "Abort" }).isDisabled()).toBe(true);
  });

  it("sessions: preview, reset and delete", async () => {
    const page = await signedIn("/sessions");
    page.on("dialog", (dialog) => void dialog.accept());
    await page.getByRole("button", { name: "agent:main:main" }).click();
    await page.getByRole("region", { name: "Preview" }).getByText("hello brave new world").first().waitFor();
    const row = page.getByRole("row", { name: /agent:main:main/ });
    await row.getByRole("button", { name: "Reset" }).click();
    await page.getByText("Reset agent:main:main.").waitFor();
    await row.getByRole("cell", { name: "0", exact: true }).waitFor();
    await row.getByRole("button", { name: "Delete" }).click();
    await page.getByText("Deleted agent:main:main.").waitFor();
    await page.getByText("No sessions yet.").waitFor();
  });

  it("config: a change shows its reloadKind before applying, validation errors land at the field", async () => {
    const page = await signedIn("/config");
    await page.getByPlaceholder("Filter keys").fill("logging.level");
    await page.getByLabel("logging.level").selectOption("debug");
    const pending = page.getByTestId("pending-changes");
    await pending.getByText("logging.level").waitFor();
    expect(await pending.textContent()).toContain(
      "logging.level hot applies at once: the log file level changes at once",
    );
    await page.getByRole("button", { name: "Apply 1 change(s)" }).click();
    await page.getByTestId("config-banner").getByText("Applied 1 change(s).").waitFor();
    const written = JSON.parse(fs.readFileSync(fixture.home.configPath, "utf8")) as {
      logging?: { level?: string };
    };
    expect(written.logging?.level).toBe("debug");
    await pending.getByText("No changes.").waitFor();
    expect(await page.getByLabel("logging.level").inputValue()).toBe("debug");

    await page.getByPlaceholder("Filter keys").fill("timeoutSeconds");
    await page.getByLabel("agents.defaults.timeoutSeconds").fill("-5");
    await page.getByRole("button", { name: "Apply 1 change(s)" }).click();
    const field = page.locator('[data-path="agents.defaults.timeoutSeconds"]');
    await field.getByRole("alert").waitFor();
    expect(await field.getByRole("alert").textContent()).toMatch(/must be/);
    const unchanged = JSON.parse(fs.readFileSync(fixture.home.configPath, "utf8")) as { agents: object };
    expect(unchanged.agents).not.toHaveProperty("defaults");
  });

  it("logs: new lines stream in live, filtered by level and text", async () => {
    const page = await signedIn("/logs");
    const lines = page.getByTestId("log-lines");
    await lines.getByText("gateway ready").first().waitFor();
    // Something happens on the gateway: a client with a wrong token is refused (an info line).
    const peer = await fixture.open();
    await peer.connect({ auth: { token: "not-the-token" } });
    await lines
      .getByText(/connect rejected: unauthorized/)
      .first()
      .waitFor({ timeout: 5_000 });
    await page.getByPlaceholder("Search").fill("connect rejected");
    await page.waitForFunction(
      "[...document.querySelectorAll('.log-line')].every((line) => line.textContent.includes('connect rejected'))",
    );
    await page.getByLabel("Level").selectOption("warn");
    await lines.getByText("No lines match.").waitFor();
  });

  it("logs: the view keeps following the log file across a gateway restart", async () => {
    const page = await signedIn("/logs");
    const ready = page.getByTestId("log-lines").getByText("gateway ready");
    await ready.first().waitFor();
    const before = await ready.count();
    const admin = await fixture.connected();
    expect((await admin.request("gateway.restart.request", { reason: "logs restart" })).ok).toBe(true);
    await status(page).getByText("Gateway restarting, reconnecting…").waitFor({ timeout: 5_000 });
    await status(page).getByText("Connected").waitFor({ timeout: 10_000 });
    await page.waitForFunction(
      `[...document.querySelectorAll('.log-line')].filter((line) => line.textContent.includes('gateway ready')).length > ${before}`,
    );
  });

  it("keyboard: the views are reachable from the tab list", async () => {
    const page = await signedIn("/");
    await page.getByRole("link", { name: "Sessions" }).focus();
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Sessions" }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/sessions");
    await page.getByRole("link", { name: "Inspector" }).focus();
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Actors" }).waitFor();
  });

  it("rides out a gateway restart: shows it, reconnects, and re-reads the transcript", async () => {
    const page = await signedIn("/chat");
    await page.getByLabel("Message").fill("before the restart");
    await page.getByLabel("Message").press("Enter");
    await page
      .getByTestId("transcript")
      .getByTestId("message-assistant")
      .getByText("before the restart")
      .waitFor();
    const before = await page.getByTestId("transcript").locator("li").count();
    const admin = await fixture.connected();
    expect((await admin.request("gateway.restart.request", { reason: "test restart" })).ok).toBe(true);
    await status(page).getByText("Gateway restarting, reconnecting…").waitFor({ timeout: 5_000 });
    await status(page).getByText("Connected").waitFor({ timeout: 10_000 });
    expect(await page.getByTestId("transcript").locator("li").count()).toBe(before);
    // The page is live again: a new message round-trips through the restarted gateway.
    await page.getByLabel("Message").fill("after the restart");
    await page.getByLabel("Message").press("Enter");
    await page
      .getByTestId("transcript")
      .getByTestId("message-assistant")
      .getByText("after the restart")
      .waitFor();
    expect(browser.errors).toEqual([]);
  });
  it("the Inspector tab shows a new client's connection actor and lights its machine's state", async () => {
    const page = await signedIn();
    await page.getByRole("link", { name: "Inspector", exact: true }).click();
    await page.getByRole("heading", { name: "Actors" }).waitFor();
    await page.waitForSelector('[role="treeitem"][data-actor-id="supervisor"]');
    const known = new Set(
      await page.$$eval('[role="treeitem"][data-actor-id^="connection:"]', (rows) =>
        rows.map((row) => row.getAttribute("data-actor-id")),
      ),
    );
    const peer = await WsPeer.open(fixture.gateway.url);
    try {
      expect((await peer.connect({ auth: { token: TEST_TOKEN } })).ok).toBe(true);
      const added = await page.waitForFunction(
        (before: string[]) =>
          [...document.querySelectorAll('[role="treeitem"][data-actor-id^="connection:"]')]
            .map((row) => row.getAttribute("data-actor-id"))
            .find((id) => id !== null && !before.includes(id)) ?? false,
        [...known].filter((id): id is string => id !== null),
      );
      const id = (await added.jsonValue()) as string;
      await page.click(`[role="treeitem"][data-actor-id="${id}"]`);
      const chart = 'svg[aria-label="Statechart of the connection machine"]';
      await page.waitForSelector(`${chart} g.ins-s[data-state-key="ready"][data-active="true"]`);
      peer.close();
      await page.waitForSelector(`${chart} g.ins-s[data-state-key="closed"][data-active="true"]`);
    } finally {
      peer.close();
    }
    expect(browser.errors).toEqual([]);
  });
});
