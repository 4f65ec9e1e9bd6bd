import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { build } from "esbuild";

export interface InspectorHarness {
  /** The page's URL on a loopback origin (so the gateway's Origin check admits it). */
  url: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = { ".html": "text/html; charset=utf-8", ".js": "text/javascript" };

/** Bundles the harness page (the inspector view and a minimal GatewayPort) into a temp dir and serves it. */
export async function startInspectorHarness(): Promise<InspectorHarness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "coderclaw-inspector-harness-"));
  await build({
    entryPoints: [path.join(__dirname, "main.js")],
    bundle: true,
    format: "esm",
    jsx: "automatic",
    jsxImportSource: "preact",
    outfile: path.join(dir, "main.js"),
    logLevel: "silent",
  });
  fs.copyFileSync(path.join(__dirname, "index.html"), path.join(dir, "index.html"));
  const server = http.createServer((req, res) => {
    const name = new URL(req.url ?? "/", "http://x").pathname === "/main.js" ? "main.js" : "index.html";
    res.writeHead(200, { "content-type": TYPES[path.extname(name)]! });
    res.end(fs.readFileSync(path.join(dir, name)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
