#!/usr/bin/env node
import { applyCliProfileArgs } from "../dist/cli/profile-args.js";

const args = applyCliProfileArgs(process.argv.slice(2), process.env);
if (args.error) {
  process.stderr.write(`[coderclaw] ${args.error}\n`);
  process.exit(2);
}
if (args.rest[0] === "gateway") {
  // dist/gateway.js is dist/cli/gateway-fast-path.js bundled into one file (scripts/bundle-gateway.js).
  const { runGatewayFastPath } = await import("../dist/gateway.js");
  const code = await runGatewayFastPath(args.rest, process.env);
  if (code !== null) process.exit(code);
}
const { execute, settings } = await import("@oclif/core");
// jest and dev shells set NODE_ENV, which would make oclif load src/*.ts instead of the build.
settings.enableAutoTranspile = false;
await execute({ args: args.rest, dir: import.meta.url });
