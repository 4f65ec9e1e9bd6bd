#!/usr/bin/env node
import { execute, settings } from "@oclif/core";
import { applyCliProfileArgs } from "../dist/cli/profile-args.js";

// jest and dev shells set NODE_ENV, which would make oclif load src/*.ts instead of the build.
settings.enableAutoTranspile = false;

const args = applyCliProfileArgs(process.argv.slice(2), process.env);
if (args.error) {
  process.stderr.write(`[coderclaw] ${args.error}\n`);
  process.exit(2);
}
await execute({ args: args.rest, dir: import.meta.url });
