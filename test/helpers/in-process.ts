import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { createLogger, type GatewayLogger } from "../../src/log/logger.js";

/** For in-process tests: a logger that writes JSON lines to `<dir>/gateway.log` and nowhere else. */
export function fileLogger(dir: string, secrets: string[] = []): GatewayLogger {
  return createLogger({
    file: path.join(dir, "gateway.log"),
    level: "info",
    verbose: false,
    console: false,
    maxFileBytes: 1_000_000,
    maxFiles: 1,
    secrets: () => secrets,
  });
}

/** The first line of `<dir>/gateway.log` that matches, once the file transport has written it. */
export async function loggedLine(
  dir: string,
  matches: (entry: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 3_000;
  for (;;) {
    // The file transport creates its file asynchronously: not there yet is "not yet", not an error.
    const file = path.join(dir, "gateway.log");
    const entry = (existsSync(file) ? readFileSync(file, "utf8") : "")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find(matches);
    if (entry) return entry;
    if (Date.now() > deadline) throw new Error(`no matching line in ${path.join(dir, "gateway.log")}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
