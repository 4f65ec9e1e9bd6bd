import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { launchBrowser, type TestBrowser } from "./helpers/browser.js";
import { useGateway } from "./helpers/gateway-fixture.js";
import { localConfig, TEST_TOKEN } from "./helpers/gateway-process.js";

jest.setTimeout(40_000);

const VIEWS = [
  { name: "overview", tab: "Overview", landmark: { role: "heading", name: "Gateway" } },
  { name: "chat", tab: "Chat", landmark: { role: "region", name: "Transcript" } },
  { name: "sessions", tab: "Sessions", landmark: { role: "heading", name: "Sessions" } },
  { name: "logs", tab: "Logs", landmark: { role: "heading", name: "Logs" } },
  { name: "config", tab: "Config", landmark: { role: "heading", name: "Config" } },
  { name: "inspector", tab: "Inspector", landmark: { role: "heading", name: "Actors" } },
] as const;

/** Where the pictures go (CODERCLAW_UI_SCREENSHOTS, else a temp dir): people look at them. */
const SHOTS =
  process.env.CODERCLAW_UI_SCREENSHOTS ?? fs.mkdtempSync(path.join(os.tmpdir(), "coderclaw-ui-shots-"));

/** Every view in light, dark and a phone-sized viewport: it renders, fits, and logs no errors. */
describe("Control UI views", () => {
  const fixture = useGateway(
    localConfig(
      {},
      {
        providers: { echo: { type: "echo", delayMs: 0 } },
        agents: { list: [{ id: "main", default: true }] },
      },
    ),
  );
  let browser: TestBrowser;
  let page: Page;

  beforeAll(async () => {
    browser = await launchBrowser();
    page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${fixture.gateway.port}/chat#token=${TEST_TOKEN}`);
    await page.getByTestId("connection-status").getByText("Connected").waitFor();
    for (const text of ["Hello there. What does the gateway do?", "Show me the sessions view next."]) {
      await page.getByLabel("Message").fill(text);
      await page.getByLabel("Message").press("Enter");
      await page.getByTestId("transcript").getByTestId("message-assistant").getByText(text).waitFor();
    }
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function visit(view: (typeof VIEWS)[number]): Promise<void> {
    await page.getByRole("link", { name: view.tab, exact: true }).click();
    await page.getByRole(view.landmark.role, { name: view.landmark.name, exact: true }).first().waitFor();
    await page.waitForTimeout(150);
  }

  for (const [mode, setup] of [
    ["light", (p: Page) => p.emulateMedia({ colorScheme: "light" })],
    ["dark", (p: Page) => p.emulateMedia({ colorScheme: "dark" })],
    ["narrow", async (p: Page) => p.setViewportSize({ width: 390, height: 844 })],
  ] as const) {
    it(`renders every view (${mode})`, async () => {
      await setup(page);
      for (const view of VIEWS) {
        await visit(view);
        const name = view.name;
        await page.screenshot({ path: path.join(SHOTS, `${name}-${mode}.png`) });
        const overflow = await page.evaluate<number>(
          "document.documentElement.scrollWidth - window.innerWidth",
        );
        expect([name, overflow]).toEqual([name, 0]);
      }
      const background = await page.evaluate<string>("getComputedStyle(document.body).backgroundColor");
      if (mode === "dark") expect(background).toBe("rgb(15, 18, 22)");
      if (mode === "light") expect(background).toBe("rgb(246, 247, 249)");
    });
  }

  it("config: a file changed on disk since the page read it is a conflict shown at the changed field", async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByRole("link", { name: "Config", exact: true }).click();
    await page.getByPlaceholder("Filter keys").fill("session.mainKey");
    await page.getByLabel("session.mainKey").waitFor();
    const onDisk = JSON.parse(fs.readFileSync(fixture.home.configPath, "utf8")) as Record<string, unknown>;
    fs.writeFileSync(
      fixture.home.configPath,
      JSON.stringify({ ...onDisk, logging: { level: "warn" } }, null, 2),
    );
    await page.getByLabel("session.mainKey").fill("desk");
    await page.getByRole("button", { name: "Apply 1 change(s)" }).click();
    const field = page.locator('[data-path="session.mainKey"]');
    await field.getByRole("alert").getByText("changed on disk since this page read it").waitFor();
    expect(await page.getByTestId("config-banner").textContent()).toContain(
      "config changed since last load; re-run config.get and retry",
    );
    const after = JSON.parse(fs.readFileSync(fixture.home.configPath, "utf8")) as { session?: unknown };
    expect(after.session).toBeUndefined();
    await page.getByRole("button", { name: "Reload", exact: true }).click();
    await page.getByTestId("pending-changes").getByText("No changes.").waitFor();
  });

  it("the theme toggle pins dark over a light system preference, and back", async () => {
    await page.emulateMedia({ colorScheme: "light" });
    await page.getByRole("button", { name: "Theme: system" }).click();
    expect(await page.evaluate<string | undefined>("document.documentElement.dataset.theme")).toBe("dark");
    expect(await page.evaluate<string>("getComputedStyle(document.body).backgroundColor")).toBe(
      "rgb(15, 18, 22)",
    );
    await page.getByRole("button", { name: "Theme: dark" }).click();
    await page.getByRole("button", { name: "Theme: light" }).click();
    expect(await page.evaluate<string | undefined>("document.documentElement.dataset.theme")).toBeUndefined();
    console.log(`screenshots in ${SHOTS}`);
    expect(browser.errors).toEqual([]);
  });
});
