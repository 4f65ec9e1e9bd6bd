#!/usr/bin/env -S node --import tsx
// Runs the CLI from src/*.ts (started with `node --import tsx`), never from dist/: a fresh clone has no
// dist/, and a stale one would silently run old code.
import { execute, settings } from "@oclif/core";
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { applyCliProfileArgs } from "../src/cli/profile-args.ts";

const args = applyCliProfileArgs(process.argv.slice(2), process.env);
if (args.error) {
  process.stderr.write(`[coderclaw] ${args.error}\n`);
  process.exit(2);
}
const root = fileURLToPath(new URL("..", import.meta.url));
const pjson = JSON.parse(fs.readFileSync(new URL("../package.json", import.meta.url), "utf8"));
// package.json names the compiled command map; oclif's own dist→src mapping reads tsconfig.json, whose
// rootDir is the repo (it type-checks test/ too), so it cannot find the source. Point at it directly.
pjson.oclif.commands.target = "./src/cli/command-map.ts";
pjson.oclif.hooks.command_not_found = "./src/cli/command-not-found.ts";
settings.enableAutoTranspile = false;
await execute({ args: args.rest, loadOptions: { root, pjson } });
