import fs from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import type { CoderclawConfig } from "../config/schema.js";
import { packageInfo } from "../config/package-info.js";

/** REFERENCE §7.6: on every Control UI response, whatever its status. */
export const CONTROL_UI_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "x-frame-options": "DENY",
  "content-security-policy":
    "default-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; script-src 'self'; " +
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; font-src 'self'; connect-src 'self' ws: wss:",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

export const CONTROL_UI_BOOTSTRAP_PATH = "/__coderclaw/control-ui-config.json";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".map": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
};

/** Asset names carry a content hash, so they never change under one URL. */
const HASHED_ASSET = /^\/assets\/.+-[A-Z0-9]{8,}\.[a-z0-9]+$/i;

/** `""`, `"/"` → `""`; `"ui"`, `"/ui/"` → `"/ui"`. */
export function normalizeBasePath(basePath: string): string {
  const trimmed = basePath.trim().replace(/\/+$/, "");
  if (trimmed === "") return "";
  return trimmed.startsWith("/") ? trimmed : `/${trimmed}`;
}

/** Where the built UI lives: `gateway.controlUi.root`, else `dist/control-ui` of the installed package. */
export function resolveControlUiRoot(root: string | null): string {
  return root ? path.resolve(root) : path.join(packageInfo().root, "dist", "control-ui");
}

export interface ControlUiDeps {
  /** The running config (read per request: agent names change on hot reload). */
  config(): CoderclawConfig;
  onError(error: unknown): void;
}

function escapeAttribute(text: string): string {
  return text.replace(/[&"<>]/g, (char) => `&#${char.charCodeAt(0)};`);
}

function send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  headers: Record<string, string | number>,
): void {
  const buffer = typeof body === "string" ? Buffer.from(body) : body;
  res.writeHead(status, { ...CONTROL_UI_SECURITY_HEADERS, "content-length": buffer.length, ...headers });
  res.end(req.method === "HEAD" ? undefined : buffer);
}

function sendPlain(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  text: string,
  extra = {},
): void {
  send(req, res, status, text, { "content-type": "text/plain; charset=utf-8", ...extra });
}

/**
 * The Control UI handler, tried after every other HTTP route. It claims a request when its path is
 * the base path or lies under it; everything else is left to the router's 404.
 */
export function controlUiHandler(
  settings: CoderclawConfig["gateway"]["controlUi"],
  deps: ControlUiDeps,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const basePath = normalizeBasePath(settings.basePath);
  const root = resolveControlUiRoot(settings.root);
  // Read per page load (a few hundred bytes): a rebuild is picked up without a restart.
  const readIndex = async (): Promise<Buffer | null> => {
    let text: string;
    try {
      text = await fs.promises.readFile(path.join(root, "index.html"), "utf8");
    } catch {
      return null;
    }
    const baseMeta = `<meta name="coderclaw-base-path" content="${escapeAttribute(basePath)}" />`;
    // CSP forbids <base>, so asset URLs and the base path are written into the page itself.
    return Buffer.from(
      text
        .replaceAll('"./assets/', `"${basePath}/assets/`)
        .replace(/<head>(\s*<meta charset="utf-8" \/>)?/, (head) => `${head}\n    ${baseMeta}`),
    );
  };

  const bootstrap = () => {
    const agents = deps.config().agents.list;
    const agent = agents.find((entry) => entry.default) ?? agents[0];
    return {
      basePath,
      assistantName: agent?.name ?? "Assistant",
      assistantAvatar: null,
      assistantAgentId: agent?.id ?? "main",
    };
  };

  const serve = async (req: IncomingMessage, res: ServerResponse, relative: string): Promise<void> => {
    const index = await readIndex();
    if (!index) {
      sendPlain(
        req,
        res,
        503,
        `Control UI assets not found in ${root}. Build them with \`npm run build\` ` +
          "(or point gateway.controlUi.root at a built copy).\n",
      );
      return;
    }
    if (relative === CONTROL_UI_BOOTSTRAP_PATH) {
      send(req, res, 200, JSON.stringify(bootstrap()), {
        "content-type": "application/json; charset=utf-8",
        "cache-control": "no-store",
      });
      return;
    }
    const sendIndex = () =>
      send(req, res, 200, index, { "content-type": CONTENT_TYPES[".html"]!, "cache-control": "no-cache" });
    if (relative === "/" || relative === "/index.html") return sendIndex();
    let decoded: string;
    try {
      decoded = decodeURIComponent(relative);
    } catch {
      return sendPlain(req, res, 400, "Bad Request\n");
    }
    const file = path.join(root, decoded);
    const hidden = decoded.split("/").some((segment) => segment.startsWith("."));
    if (decoded.includes("\0") || hidden || !file.startsWith(root + path.sep)) {
      return sendPlain(req, res, 404, "Not Found\n");
    }
    const extension = path.extname(decoded);
    let body: Buffer | null = null;
    try {
      if ((await fs.promises.stat(file)).isFile()) body = await fs.promises.readFile(file);
    } catch {
      body = null;
    }
    if (body) {
      send(req, res, 200, body, {
        "content-type": CONTENT_TYPES[extension] ?? "application/octet-stream",
        "cache-control": HASHED_ASSET.test(decoded) ? "public, max-age=31536000, immutable" : "no-cache",
      });
      return;
    }
    // A page navigation to any other path is a route of the single-page app; a missing script, image or
    // API path asked for by a program (no text/html in Accept) stays a 404.
    const navigation = (req.headers.accept ?? "").includes("text/html");
    if (extension !== "" || decoded.startsWith("/assets/") || !navigation) {
      return sendPlain(req, res, 404, "Not Found\n");
    }
    sendIndex();
  };

  return (req, res) => {
    const url = req.url ?? "/";
    const queryAt = url.indexOf("?");
    const pathname = queryAt === -1 ? url : url.slice(0, queryAt);
    let relative: string;
    if (basePath === "") relative = pathname;
    else if (pathname === basePath) relative = "";
    else if (pathname.startsWith(`${basePath}/`)) relative = pathname.slice(basePath.length);
    else return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      // At "/" the UI shares the namespace with the HTTP APIs: other methods are theirs (or a 404).
      if (basePath === "") return false;
      sendPlain(req, res, 405, "Method Not Allowed\n", { allow: "GET, HEAD" });
      return true;
    }
    if (relative === "") {
      const query = queryAt === -1 ? "" : url.slice(queryAt);
      send(req, res, 302, "", { location: `${basePath}/${query}` });
      return true;
    }
    serve(req, res, relative).catch((error: unknown) => {
      deps.onError(error);
      if (!res.headersSent) sendPlain(req, res, 500, "Internal Server Error\n");
      else res.destroy();
    });
    return true;
  };
}
