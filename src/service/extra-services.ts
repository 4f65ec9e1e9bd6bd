import fs from "node:fs";
import path from "node:path";
import { resolveHomeDir, type Env } from "../config/paths.js";
import { parseLaunchdPlist } from "./launchd-plist.js";
import { SERVICE_KIND, SERVICE_MARKER } from "./service-env.js";
import { systemdSystemUnitDir, systemdUserUnitDir } from "./systemd-service.js";
import { parseSystemdUnit } from "./systemd-unit.js";

export interface ServiceDir {
  dir: string;
  scope: "user" | "system";
}

export interface ExtraService {
  label: string;
  scope: "user" | "system";
  detail: string;
}

/** Where gateway-like services may live: the user's dir always, system dirs with `--deep`. */
export function serviceScanDirs(env: Env, platform: NodeJS.Platform, deep: boolean): ServiceDir[] {
  const dirs: ServiceDir[] =
    platform === "darwin"
      ? [{ dir: path.join(resolveHomeDir(env), "Library", "LaunchAgents"), scope: "user" }]
      : [{ dir: systemdUserUnitDir(env), scope: "user" }];
  if (deep) {
    const system =
      platform === "darwin"
        ? ["/Library/LaunchAgents", "/Library/LaunchDaemons"]
        : [
            systemdSystemUnitDir(env),
            "/etc/systemd/system",
            "/lib/systemd/system",
            "/usr/lib/systemd/system",
          ];
    for (const dir of new Set(system)) dirs.push({ dir, scope: "system" });
  }
  return dirs;
}

function readHead(file: string): string | null {
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile() || stat.size > 256 * 1024) return null;
    return fs.readFileSync(file, "utf8");
  } catch {
    return null;
  }
}

function describe(file: string, content: string): { command: string; marked: boolean } {
  const parsed = file.endsWith(".plist") ? parseLaunchdPlist(content) : parseSystemdUnit(content);
  const marked =
    parsed.environment.CODERCLAW_SERVICE_MARKER === SERVICE_MARKER &&
    parsed.environment.CODERCLAW_SERVICE_KIND === SERVICE_KIND;
  return { command: parsed.programArguments.join(" "), marked };
}

/**
 * Units/plists whose name or command mentions coderclaw, other than the ones in `exclude` (the
 * service this CLI manages). Best effort: unreadable dirs and files are skipped. Symlinked
 * duplicates (`/lib` → `/usr/lib`) are reported once.
 */
export function scanGatewayLikeServices(dirs: ServiceDir[], exclude: readonly string[] = []): ExtraService[] {
  const seen = new Set(exclude.map((file) => realpath(file)));
  const found: ExtraService[] = [];
  for (const { dir, scope } of dirs) {
    let names: string[];
    try {
      names = fs.readdirSync(dir).sort();
    } catch {
      continue;
    }
    for (const name of names) {
      if (!name.endsWith(".service") && !name.endsWith(".plist")) continue;
      const file = path.join(dir, name);
      const real = realpath(file);
      if (seen.has(real)) continue;
      const content = readHead(file);
      if (content === null) continue;
      const { command, marked } = describe(file, content);
      const mentions = /coderclaw/i.test(name) || /coderclaw/i.test(command);
      if (!mentions) continue;
      seen.add(real);
      const kind = marked ? "coderclaw gateway service" : "gateway-like";
      found.push({ label: name.replace(/\.(service|plist)$/, ""), scope, detail: `${kind}, ${file}` });
    }
  }
  return found;
}

function realpath(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}
