import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export interface PackageInfo {
  root: string;
  version: string;
}

let cached: PackageInfo | null = null;

/** The installed package: its root (for bin/run.js, docs) and version (hello-ok `server.version`). */
export function packageInfo(): PackageInfo {
  if (cached) return cached;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, "package.json");
    if (fs.existsSync(manifest)) {
      const { name, version } = JSON.parse(fs.readFileSync(manifest, "utf8")) as {
        name?: string;
        version?: string;
      };
      if (name === "coderclaw-gateway") {
        cached = { root: dir, version: version ?? "dev" };
        return cached;
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      cached = { root: process.cwd(), version: "dev" };
      return cached;
    }
    dir = parent;
  }
}
