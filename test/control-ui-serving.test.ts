import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import {
  killAll,
  localConfig,
  makeTempHome,
  REPO_ROOT,
  runCli,
  startGateway,
  TEST_TOKEN,
  type GatewayProcess,
  type TempHome,
} from "./helpers/gateway-process.js";
import { WsPeer } from "./helpers/ws-peer.js";

jest.setTimeout(60_000);

const SECURITY_HEADERS = {
  "x-frame-options": "DENY",
  "content-security-policy":
    "default-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; script-src 'self'; " +
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; font-src 'self'; connect-src 'self' ws: wss:",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(
  port: number,
  pathname: string,
  method = "GET",
  headers: Record<string, string> = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path: pathname, method, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** One gateway per describe block, started with `gatewayExtra` merged into its gateway config. */
function gatewayWith(gatewayExtra: () => Record<string, unknown>) {
  const state: { home?: TempHome; gateway?: GatewayProcess } = {};
  beforeAll(async () => {
    state.home = makeTempHome();
    state.home.writeConfig(localConfig(gatewayExtra()));
    state.gateway = await startGateway(state.home.env);
  });
  afterAll(async () => {
    await state.gateway?.stop();
    await killAll();
    state.home?.cleanup();
  });
  return {
    get port() {
      return state.gateway!.port;
    },
    get home() {
      return state.home!;
    },
  };
}

const builtIndex = path.join(REPO_ROOT, "dist", "control-ui", "index.html");

describe("Control UI under gateway.controlUi.basePath", () => {
  const gw = gatewayWith(() => ({
    controlUi: { basePath: "/ui/", allowedOrigins: ["https://ops.example"] },
  }));

  it("redirects the bare base path to its slash form, keeping the query", async () => {
    const reply = await request(gw.port, "/ui?x=1");
    expect(reply.status).toBe(302);
    expect(reply.headers.location).toBe("/ui/?x=1");
    expect(reply.headers).toMatchObject(SECURITY_HEADERS);
  });

  it("serves index.html with the security headers, its asset URLs and base path rewritten", async () => {
    expect(fs.existsSync(builtIndex)).toBe(true);
    const reply = await request(gw.port, "/ui/");
    expect(reply.status).toBe(200);
    expect(reply.headers).toMatchObject({ ...SECURITY_HEADERS, "content-type": "text/html; charset=utf-8" });
    expect(reply.headers["cache-control"]).toBe("no-cache");
    expect(reply.body).toContain('<meta name="coderclaw-base-path" content="/ui" />');
    expect(reply.body).toMatch(/<script type="module" src="\/ui\/assets\/app-[A-Z0-9]+\.js"><\/script>/);
    expect(reply.body).not.toContain('"./assets/');
  });

  it("serves hashed assets as immutable with their content type", async () => {
    const index = (await request(gw.port, "/ui/")).body;
    const script = /src="(\/ui\/assets\/[^"]+\.js)"/.exec(index)![1]!;
    const style = /href="(\/ui\/assets\/[^"]+\.css)"/.exec(index)![1]!;
    const js = await request(gw.port, script);
    expect(js.status).toBe(200);
    expect(js.headers).toMatchObject({
      ...SECURITY_HEADERS,
      "content-type": "text/javascript; charset=utf-8",
      "cache-control": "public, max-age=31536000, immutable",
    });
    expect(js.body.length).toBeGreaterThan(1000);
    expect((await request(gw.port, style)).headers["content-type"]).toBe("text/css; charset=utf-8");
  });

  it("answers a page navigation to any other path with index.html (the app routes it), a missing asset with 404", async () => {
    const route = await request(gw.port, "/ui/chat", "GET", { accept: "text/html,application/xhtml+xml" });
    expect(route.status).toBe(200);
    expect(route.body).toContain('<div id="app"></div>');
    expect((await request(gw.port, "/ui/chat", "GET", { accept: "*/*" })).status).toBe(404);
    const missing = await request(gw.port, "/ui/assets/app-MISSING0.js");
    expect(missing.status).toBe(404);
    expect(missing.headers).toMatchObject(SECURITY_HEADERS);
    expect((await request(gw.port, "/ui/favicon.ico")).status).toBe(404);
  });

  it("serves the bootstrap JSON", async () => {
    const reply = await request(gw.port, "/ui/__coderclaw/control-ui-config.json");
    expect(reply.status).toBe(200);
    expect(reply.headers).toMatchObject(SECURITY_HEADERS);
    expect(JSON.parse(reply.body)).toEqual({
      basePath: "/ui",
      assistantName: "Assistant",
      assistantAvatar: null,
      assistantAgentId: "main",
    });
  });

  it("never serves files outside its root or hidden files", async () => {
    for (const attempt of [
      "/ui/..%2f..%2fpackage.json",
      "/ui/%2e%2e/%2e%2e/package.json",
      "/ui/.hidden",
      "/ui/%00",
    ]) {
      const reply = await request(gw.port, attempt);
      expect([reply.status, attempt]).toEqual([404, attempt]);
      expect(reply.body).not.toContain("coderclaw-gateway");
    }
  });

  it("allows GET and HEAD only; HEAD has the headers and no body", async () => {
    const post = await request(gw.port, "/ui/", "POST");
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe("GET, HEAD");
    expect(post.headers).toMatchObject(SECURITY_HEADERS);
    const head = await request(gw.port, "/ui/", "HEAD");
    expect(head.status).toBe(200);
    expect(Number(head.headers["content-length"])).toBeGreaterThan(100);
    expect(head.body).toBe("");
  });

  it("lets a browser from gateway.controlUi.allowedOrigins connect, and no other foreign origin", async () => {
    const connectFrom = async (origin: string) => {
      const peer = await WsPeer.open(`ws://127.0.0.1:${gw.port}/ui/`, { headers: { origin } });
      try {
        return await peer.connect({
          auth: { token: TEST_TOKEN },
          client: { id: "coderclaw-control-ui", version: "test", platform: "web", mode: "webchat" },
        });
      } finally {
        peer.close();
      }
    };
    expect((await connectFrom("https://ops.example")).ok).toBe(true);
    expect((await connectFrom(`http://127.0.0.1:${gw.port}`)).ok).toBe(true);
    expect((await connectFrom("https://evil.example")).error?.message).toMatch(/^origin not allowed/);
  });

  it("leaves paths outside the base path, and the probes, to the rest of the gateway", async () => {
    expect((await request(gw.port, "/")).status).toBe(404);
    expect((await request(gw.port, "/uix")).status).toBe(404);
    const healthz = await request(gw.port, "/healthz");
    expect(healthz.status).toBe(200);
    expect(healthz.headers["x-frame-options"]).toBeUndefined();
  });
});

describe("Control UI at the root", () => {
  const gw = gatewayWith(() => ({}));

  it("serves the page at / and app routes to navigations, but leaves API paths and other methods alone", async () => {
    const page = await request(gw.port, "/");
    expect(page.status).toBe(200);
    expect(page.headers).toMatchObject(SECURITY_HEADERS);
    expect(page.body).toContain('src="/assets/app-');
    const navigation = { accept: "text/html" };
    expect((await request(gw.port, "/logs", "GET", navigation)).status).toBe(200);
    expect((await request(gw.port, "/v1/models")).status).toBe(404);
    const post = await request(gw.port, "/v1/chat/completions", "POST");
    expect(post.status).toBe(404);
    expect(post.headers["x-frame-options"]).toBeUndefined();
  });
});

describe("Control UI without built assets", () => {
  const emptyRoot = fs.mkdtempSync(path.join(os.tmpdir(), "coderclaw-ui-root-"));
  const gw = gatewayWith(() => ({ controlUi: { root: emptyRoot } }));
  afterAll(() => fs.rmSync(emptyRoot, { recursive: true, force: true }));

  it("answers 503 naming the build command, with the security headers", async () => {
    const reply = await request(gw.port, "/");
    expect(reply.status).toBe(503);
    expect(reply.headers).toMatchObject(SECURITY_HEADERS);
    expect(reply.body).toContain(emptyRoot);
    expect(reply.body).toContain("npm run build");
  });

  it("serves a root given in gateway.controlUi.root once it has an index.html", async () => {
    fs.writeFileSync(path.join(emptyRoot, "index.html"), "<html><head></head><body>custom</body></html>");
    const reply = await request(gw.port, "/");
    expect(reply.status).toBe(200);
    expect(reply.body).toContain("custom");
  });
});

describe("Control UI disabled", () => {
  const gw = gatewayWith(() => ({ controlUi: { enabled: false } }));

  it("has no UI routes: the page and the bootstrap JSON are 404", async () => {
    for (const pathname of ["/", "/index.html", "/__coderclaw/control-ui-config.json"]) {
      const reply = await request(gw.port, pathname);
      expect(reply.status).toBe(404);
      expect(reply.headers["x-frame-options"]).toBeUndefined();
    }
  });

  it("gateway status prints Dashboard: disabled", async () => {
    const { stdout } = await runCli(["gateway", "status", "--no-probe"], gw.home.env, 30_000);
    expect(stdout).toContain("Dashboard: disabled\n");
  });
});
