import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

/** Debian's chromium; playwright-core drives it (no browser download). */
export const CHROMIUM = "/usr/lib/chromium/chromium";

const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface TestBrowser {
  context: BrowserContext;
  /** Console errors and uncaught page errors seen so far, from every page. */
  errors: string[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/** One headless chromium with a throwaway profile (plus `extraArgs`); `close` removes the profile too. */
export async function launchBrowser(extraArgs: string[] = []): Promise<TestBrowser> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "coderclaw-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...FLAGS, ...extraArgs],
    viewport: { width: 1280, height: 800 },
  });
  const errors: string[] = [];
  const watch = (page: Page) => {
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    page.on("pageerror", (error) => errors.push(String(error)));
  };
  context.pages().forEach(watch);
  context.on("page", watch);
  return {
    context,
    errors,
    async newPage() {
      return context.newPage();
    },
    async close() {
      await context.close().catch(() => undefined);
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}
