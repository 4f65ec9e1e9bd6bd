import type { ConfigSnapshot } from "./load.js";
import { cliCommand, type Env } from "./paths.js";

/** REFERENCE §1.1 config guard: what is wrong with the file and the command that repairs it. */
export function configInvalidLines(snapshot: Pick<ConfigSnapshot, "path" | "issues">, env: Env): string[] {
  return [
    "Config invalid",
    `File: ${snapshot.path}`,
    "Problem:",
    ...snapshot.issues.map((issue) => `  - ${issue.path || "<root>"}: ${issue.message}`),
    `Run: ${cliCommand("doctor --fix", env)}`,
  ];
}
