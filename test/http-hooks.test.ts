import { QUERY_TOKEN_REFUSED } from "../src/http/hook-auth.js";
import { SESSION_KEY_DISABLED } from "../src/http/hook-policy.js";
import { useGateway } from "./helpers/gateway-fixture.js";
import { localConfig, TEST_TOKEN } from "./helpers/gateway-process.js";
import type { WsPeer } from "./helpers/ws-peer.js";

const HOOK_TOKEN = "hook-secret-0123456789";
const MAIN = "agent:main:main";

const fixture = useGateway(
  localConfig(
    { trustedProxies: ["127.0.0.1"] },
    {
      providers: { echo: { type: "echo", delayMs: 0 } },
      agents: { list: [{ id: "main", default: true }, { id: "ops" }, { id: "other" }] },
      hooks: {
        enabled: true,
        token: HOOK_TOKEN,
        allowedAgentIds: ["main", "ops"],
        mappings: [
          {
            match: { path: "github" },
            name: "GitHub",
            messageTemplate:
              "{{headers.x-github-event}} on {{body.repository.full_name}} by {{body.sender.login}}: {{body.commits[0].message}}",
            sessionKey: "hook:github:{{body.repository.name}}",
            wakeMode: "next-heartbeat",
          },
          {
            match: { path: "alerts", source: "monitor" },
            action: "wake",
            textTemplate: "Alert {{body.level}}: {{body.message}} ({{query.region}})",
            wakeMode: "next-heartbeat",
          },
          {
            match: { path: "proto" },
            action: "wake",
            textTemplate:
              "[{{body.__proto__}}][{{body.__proto__.polluted}}][{{body.constructor.name}}][{{body.a.toString}}][{{headers.authorization}}][{{body.list.length}}]",
            wakeMode: "next-heartbeat",
          },
          {
            match: { path: "big" },
            action: "wake",
            textTemplate: "{{body.t}}{{body.t}}{{body.t}}{{body.t}}{{body.t}}{{body.t}}",
          },
          { match: { path: "empty" }, messageTemplate: "{{body.missing}}" },
        ],
      },
    },
  ),
);

const hookUrl = (path: string) => `${fixture.url.replace(/^ws:/, "http:")}${path}`;

function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(hookUrl(path), {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${HOOK_TOKEN}`, ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

interface HistoryMessage {
  role: string;
  content: Array<{ text: string }>;
  runId: string | null;
}

async function history(peer: WsPeer, sessionKey: string): Promise<Array<{ role: string; text: string }>> {
  const res = await peer.request("chat.history", { sessionKey });
  expect(res.ok).toBe(true);
  return (res.payload.messages as HistoryMessage[]).map((m) => ({
    role: m.role,
    text: m.content[0]?.text ?? "",
  }));
}

/** Polls chat.history until `predicate` holds (runs finish after the HTTP answer). */
async function historyUntil(
  peer: WsPeer,
  sessionKey: string,
  predicate: (messages: Array<{ role: string; text: string }>) => boolean,
): Promise<Array<{ role: string; text: string }>> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const messages = await history(peer, sessionKey);
    if (predicate(messages)) return messages;
    if (Date.now() > deadline) throw new Error(`history of ${sessionKey}: ${JSON.stringify(messages)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("POST /hooks/wake", () => {
  it("records a next-heartbeat wake as a system message of the main session", async () => {
    const res = await post("/hooks/wake", { text: "New email received", mode: "next-heartbeat" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, mode: "next-heartbeat" });
    const peer = await fixture.connected();
    expect(await history(peer, MAIN)).toContainEqual({ role: "system", text: "New email received" });
  });

  it("with mode now (the default) also runs an agent turn on the event in the main session", async () => {
    const res = await post("/hooks/wake", { text: "Build 42 is green" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, mode: "now" });
    const peer = await fixture.connected();
    const messages = await historyUntil(peer, MAIN, (all) =>
      all.some((m) => m.role === "assistant" && m.text === "Build 42 is green"),
    );
    const at = messages.findIndex((m) => m.role === "system" && m.text === "Build 42 is green");
    expect(at).toBeGreaterThanOrEqual(0);
    expect(messages[at + 1]).toEqual({ role: "assistant", text: "Build 42 is green" });
  });

  it("refuses a wake without text and an unknown mode", async () => {
    const missing = await post("/hooks/wake", { mode: "now" });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({ ok: false, error: "text required" });
    const mode = await post("/hooks/wake", { text: "x", mode: "later" });
    expect(mode.status).toBe(400);
    expect(await mode.json()).toEqual({ ok: false, error: "mode must be now|next-heartbeat" });
  });
});

describe("POST /hooks/agent", () => {
  it("answers 202 with the run id; the run completes in a hook:<uuid> session and its summary reaches the main session", async () => {
    const res = await post("/hooks/agent", {
      message: "Summarize inbox",
      name: "Email",
      wakeMode: "next-heartbeat",
      deliver: false,
    });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { runId: string };
    expect(body).toEqual({ ok: true, runId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const peer = await fixture.connected();
    const wait = await peer.request("agent.wait", { runId: body.runId, timeoutMs: 5_000 });
    expect(wait.payload).toMatchObject({ runId: body.runId, status: "ok" });
    const sessions = (await peer.request("sessions.list")).payload.sessions as Array<{ key: string }>;
    const hookSessions = sessions.filter((s) => /^hook:[0-9a-f-]{36}$/.test(s.key));
    const histories = await Promise.all(hookSessions.map((s) => history(peer, s.key)));
    expect(histories).toContainEqual([
      { role: "user", text: "Summarize inbox" },
      { role: "assistant", text: "Summarize inbox" },
    ]);
    await historyUntil(peer, MAIN, (all) =>
      all.some((m) => m.role === "system" && m.text === "Email: Summarize inbox"),
    );
  });

  it("logs a delivery to a session with no channel chat as failed, and still answers 202", async () => {
    const res = await post("/hooks/agent", {
      message: "deliver me",
      channel: "last",
      wakeMode: "next-heartbeat",
    });
    expect(res.status).toBe(202);
    const { runId } = (await res.json()) as { runId: string };
    const deadline = Date.now() + 5_000;
    const line = `hook run ${runId}: delivery via last failed`;
    // A failed delivery is a warning: the console writes warnings to stderr.
    const logged = () => fixture.gateway.output().stderr;
    while (!logged().includes(line) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(logged()).toContain(line);
    expect(logged()).toContain("has no last channel chat");
  });

  it("runs a named, allowed agent with a model of its own", async () => {
    const res = await post("/hooks/agent", {
      message: "ops task",
      agentId: "ops",
      model: "echo",
      wakeMode: "next-heartbeat",
    });
    expect(res.status).toBe(202);
    const { runId } = (await res.json()) as { runId: string };
    const peer = await fixture.connected();
    expect((await peer.request("agent.wait", { runId, timeoutMs: 5_000 })).payload.status).toBe("ok");
    await historyUntil(peer, "agent:ops:main", (all) => all.some((m) => m.text === "Hook: ops task"));
  });

  it("refuses agents outside hooks.allowedAgentIds, unknown agents and providers", async () => {
    const other = await post("/hooks/agent", { message: "x", agentId: "other" });
    expect(other.status).toBe(400);
    expect(await other.json()).toEqual({
      ok: false,
      error: "agentId is not allowed by hooks.allowedAgentIds",
    });
    const model = await post("/hooks/agent", { message: "x", model: "nope/model" });
    expect(model.status).toBe(400);
    expect(((await model.json()) as { error: string }).error).toMatch(
      /^invalid agent params: unknown provider "nope"/,
    );
  });

  it("refuses a caller-chosen sessionKey unless hooks.allowRequestSessionKey", async () => {
    const res = await post("/hooks/agent", { message: "x", sessionKey: "agent:main:main" });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ ok: false, error: SESSION_KEY_DISABLED });
  });

  it.each([
    [{}, "message required"],
    [{ message: "x", timeoutSeconds: 99_999 }, "timeoutSeconds must be an integer from 1 to 3600"],
    [{ message: "x", timeoutSeconds: 1.5 }, "timeoutSeconds must be an integer from 1 to 3600"],
    [{ message: "x", deliver: "yes" }, "deliver must be a boolean"],
    [{ message: "x", channel: "Not A Channel" }, "channel must be last or a channel id"],
    [{ message: "x", wakeMode: "soon" }, "wakeMode must be now|next-heartbeat"],
    [{ message: "x", name: 7 }, "name must be a string"],
  ])("refuses %j with 400", async (body, error) => {
    const res = await post("/hooks/agent", body);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ ok: false, error });
  });
});

describe("hook requests", () => {
  it("refuses a token in the query string with 400, even a right one", async () => {
    const res = await fetch(hookUrl(`/hooks/wake?token=${HOOK_TOKEN}`), { method: "POST", body: "{}" });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ ok: false, error: QUERY_TOKEN_REFUSED });
  });

  it("answers 401 without the hook token or with the gateway's, and accepts x-coderclaw-token", async () => {
    const anonymous = await fetch(hookUrl("/hooks/wake"), { method: "POST", body: '{"text":"x"}' });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).toBe("Unauthorized");
    const gatewayToken = await post("/hooks/wake", { text: "x" }, { authorization: `Bearer ${TEST_TOKEN}` });
    expect(gatewayToken.status).toBe(401);
    const header = await post(
      "/hooks/wake",
      { text: "via header", mode: "next-heartbeat" },
      { authorization: "", "x-coderclaw-token": HOOK_TOKEN },
    );
    expect(header.status).toBe(200);
  });

  it("checks the token before the method: 401 for a GET without it, 405 with it", async () => {
    expect((await fetch(hookUrl("/hooks/wake"))).status).toBe(401);
    const res = await fetch(hookUrl("/hooks/wake"), { headers: { authorization: `Bearer ${HOOK_TOKEN}` } });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
  });

  it("answers 404 for the base path itself and for a name no mapping matches", async () => {
    for (const path of ["/hooks", "/hooks/", "/hooks/nothing-here"]) {
      const res = await post(path, {});
      expect(res.status).toBe(404);
      expect(await res.text()).toBe("Not Found");
    }
  });

  it("answers 413 for a body over hooks.maxBodyBytes (256 KiB) and 400 for invalid JSON", async () => {
    const large = await post("/hooks/wake", { text: "x".repeat(300 * 1024) });
    expect(large.status).toBe(413);
    expect(await large.json()).toEqual({ ok: false, error: "Payload too large" });
    const invalid = await post("/hooks/wake", "{not json");
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toEqual({ ok: false, error: "Invalid JSON body" });
    const array = await post("/hooks/wake", [1, 2]);
    expect(array.status).toBe(400);
    expect(await array.json()).toEqual({ ok: false, error: "body must be a JSON object" });
  });

  it("locks an address out after 20 failures in a minute (429 + Retry-After); other addresses go on", async () => {
    const from = (ip: string, token: string) =>
      post(
        "/hooks/wake",
        { text: "flood", mode: "next-heartbeat" },
        {
          authorization: `Bearer ${token}`,
          "x-forwarded-for": ip,
        },
      );
    for (let attempt = 1; attempt <= 20; attempt += 1) {
      expect((await from("203.0.113.7", `wrong-${attempt}`)).status).toBe(401);
    }
    const locked = await from("203.0.113.7", "wrong-21");
    expect(locked.status).toBe(429);
    expect(await locked.text()).toBe("Too Many Requests");
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(Number(locked.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    expect((await from("203.0.113.7", HOOK_TOKEN)).status).toBe(429);
    expect((await from("203.0.113.8", HOOK_TOKEN)).status).toBe(200);
  });
});

describe("hooks.mappings", () => {
  it("renders an agent action from body and header templates", async () => {
    const res = await post(
      "/hooks/github",
      {
        repository: { name: "gateway", full_name: "coderclaw/gateway" },
        sender: { login: "ada" },
        commits: [{ message: "fix the build" }],
      },
      { "x-github-event": "push" },
    );
    expect(res.status).toBe(202);
    const { runId } = (await res.json()) as { runId: string };
    const peer = await fixture.connected();
    expect((await peer.request("agent.wait", { runId, timeoutMs: 5_000 })).payload.status).toBe("ok");
    expect(await history(peer, "hook:github:gateway")).toEqual([
      { role: "user", text: "push on coderclaw/gateway by ada: fix the build" },
      { role: "assistant", text: "push on coderclaw/gateway by ada: fix the build" },
    ]);
    await historyUntil(peer, MAIN, (all) =>
      all.some((m) => m.text === "GitHub: push on coderclaw/gateway by ada: fix the build"),
    );
  });

  it("refuses a rendered session key longer than 512 characters", async () => {
    const res = await post("/hooks/github", {
      repository: { name: "r".repeat(600) },
      commits: [{ message: "m" }],
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ ok: false, error: "sessionKey must be at most 512 characters" });
  });

  it("matches by source and renders a wake action", async () => {
    const res = await post("/hooks/alerts?region=eu", {
      source: "monitor",
      level: "high",
      message: "disk full",
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, mode: "next-heartbeat" });
    const peer = await fixture.connected();
    expect(await history(peer, MAIN)).toContainEqual({ role: "system", text: "Alert high: disk full (eu)" });
    expect((await post("/hooks/alerts", { source: "someone-else", level: "x" })).status).toBe(404);
  });

  it("renders nothing for templates that reach for prototypes or the request's secrets", async () => {
    const body = '{"__proto__":{"polluted":"yes"},"a":{},"list":[1,2]}';
    const res = await post("/hooks/proto", body);
    expect(res.status).toBe(200);
    const peer = await fixture.connected();
    expect(await history(peer, MAIN)).toContainEqual({ role: "system", text: "[][][][][][]" });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("answers 500 hook mapping failed when rendering fails (a template multiplying a large body)", async () => {
    const res = await post("/hooks/big", { t: "y".repeat(200_000) });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ ok: false, error: "hook mapping failed" });
  });

  it("refuses a mapping that renders an empty message", async () => {
    const res = await post("/hooks/empty", {});
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ ok: false, error: "message required" });
  });
});
