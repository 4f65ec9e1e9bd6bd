// Bundles the `coderclaw gateway` process (dist/cli/gateway-fast-path.js and everything it imports)
// into one file, dist/gateway.js, which bin/run.js loads for `coderclaw gateway [run]`.
//
// Loaded as over 500 separate modules (TypeBox alone is ~200 files), the long-running gateway holds
// about 10 MB more RSS at idle and starts slower. The bundle is the same compiled code in one file;
// better-sqlite3 stays external because it loads a native addon.
import { build } from "esbuild";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

await build({
  entryPoints: [path.join(root, "dist", "cli", "gateway-fast-path.js")],
  outfile: path.join(root, "dist", "gateway.js"),
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["better-sqlite3"],
  // CommonJS dependencies call require(); an ESM bundle has to provide it.
  banner: {
    js: 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);',
  },
  legalComments: "none",
  logLevel: "warning",
});
