#!/usr/bin/env -S npx tsx
import { execute } from "@oclif/core";
import { applyCliProfileArgs } from "../src/cli/profile-args.ts";

const args = applyCliProfileArgs(process.argv.slice(2), process.env);
if (args.error) {
  process.stderr.write(`[coderclaw] ${args.error}\n`);
  process.exit(2);
}
await execute({ args: args.rest, development: true, dir: import.meta.url });
