// Bundles the Control UI (ui/src/main.tsx, Preact + TSX) into dist/control-ui/: index.html plus
// content-hashed assets, which the gateway serves as immutable. Nothing is fetched at run time.
import { build } from "esbuild";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const outdir = path.join(root, "dist", "control-ui");

fs.rmSync(outdir, { recursive: true, force: true });
const result = await build({
  entryPoints: { app: path.join(root, "ui", "src", "main.tsx") },
  outdir,
  entryNames: "assets/[name]-[hash]",
  assetNames: "assets/[name]-[hash]",
  bundle: true,
  minify: true,
  format: "esm",
  target: ["chrome111", "firefox113", "safari16.4"],
  jsx: "automatic",
  jsxImportSource: "preact",
  tsconfig: path.join(root, "ui", "tsconfig.json"),
  metafile: true,
  legalComments: "none",
  logLevel: "warning",
});

const outputs = Object.keys(result.metafile.outputs).map((file) =>
  path.relative(outdir, path.join(root, file)),
);
const script = outputs.find((file) => file.endsWith(".js"));
const style = outputs.find((file) => file.endsWith(".css"));
if (!script) throw new Error("control ui bundle: no script was produced");
const tags = [
  style ? `<link rel="stylesheet" href="./${style}" />` : "",
  `<script type="module" src="./${script}"></script>`,
].filter(Boolean);
const template = fs.readFileSync(path.join(root, "ui", "index.html"), "utf8");
if (!template.includes("<!-- assets -->")) throw new Error("ui/index.html lacks the <!-- assets --> marker");
fs.writeFileSync(path.join(outdir, "index.html"), template.replace("<!-- assets -->", tags.join("\n    ")));
