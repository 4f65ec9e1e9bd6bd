import { promptFromMessages } from "../src/http/chat-completions.js";
import { useGateway } from "./helpers/gateway-fixture.js";
import { localConfig, TEST_TOKEN } from "./helpers/gateway-process.js";

const ENABLED = { http: { endpoints: { chatCompletions: { enabled: true } } } };
const PATH = "/v1/chat/completions";

function httpUrl(wsUrl: string, path = PATH): string {
  return `${wsUrl.replace(/^ws:/, "http:")}${path}`;
}

function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${TEST_TOKEN}`, ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

const userSays = (content: unknown) => ({ messages: [{ role: "user", content }] });

describe("promptFromMessages", () => {
  it("uses a lone user message as it is", () => {
    expect(promptFromMessages([{ role: "user", content: "hello" }])).toEqual({ message: "hello" });
  });

  it("puts system instructions first, then the conversation by role, text parts only", () => {
    const messages = [
      { role: "system", content: "Be brief." },
      {
        role: "user",
        content: [
          { type: "text", text: "What is 2+2?" },
          { type: "image_url", image_url: {} },
        ],
      },
      { role: "assistant", content: "4" },
      { role: "user", content: "And 3+3?" },
    ];
    expect(promptFromMessages(messages)).toEqual({
      message: "System: Be brief.\n\nUser: What is 2+2?\n\nAssistant: 4\n\nUser: And 3+3?",
    });
  });

  it("refuses messages without a user message", () => {
    const missing = { error: "Missing user message in `messages`." };
    expect(promptFromMessages([{ role: "system", content: "hi" }])).toEqual(missing);
    expect(promptFromMessages([{ role: "user", content: "  " }])).toEqual(missing);
    expect(promptFromMessages("hello")).toEqual(missing);
  });
});

describe("POST /v1/chat/completions, disabled (the default)", () => {
  const fixture = useGateway(localConfig());

  it("is not there, nor is /v1/models", async () => {
    const res = await post(httpUrl(fixture.url), userSays("hello"));
    expect(res.status).toBe(404);
    const models = await fetch(httpUrl(fixture.url, "/v1/models"), {
      headers: { authorization: `Bearer ${TEST_TOKEN}` },
    });
    expect(models.status).toBe(404);
  });
});

describe("POST /v1/chat/completions", () => {
  const fixture = useGateway(localConfig(ENABLED));
  const url = () => httpUrl(fixture.url);

  it("answers with the agent's reply in the OpenAI shape", async () => {
    const res = await post(url(), { model: "coderclaw", ...userSays("hello from http") });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const body = await res.json();
    expect(body).toEqual({
      id: expect.stringMatching(/^chatcmpl_[0-9a-f-]{36}$/),
      object: "chat.completion",
      created: expect.any(Number),
      model: "coderclaw",
      choices: [
        { index: 0, message: { role: "assistant", content: "hello from http" }, finish_reason: "stop" },
      ],
      // Estimated at four characters a token: 15 characters each way.
      usage: { prompt_tokens: 4, completion_tokens: 4, total_tokens: 8 },
    });
  });

  it("streams the reply as chat.completion.chunk events, a finish_reason stop chunk, then [DONE]", async () => {
    const res = await post(url(), { stream: true, ...userSays("one two three") });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const events = (await res.text())
      .split("\n\n")
      .filter((block) => block.startsWith("data: "))
      .map((block) => block.slice("data: ".length));
    expect(events.at(-1)).toBe("[DONE]");
    const chunks = events.slice(0, -1).map((data) => JSON.parse(data));
    expect(chunks[0].choices[0].delta).toEqual({ role: "assistant" });
    expect(chunks.every((chunk) => chunk.object === "chat.completion.chunk")).toBe(true);
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
    const deltas = chunks.slice(1, -1);
    expect(deltas.map((chunk) => chunk.choices[0].delta.content).join("")).toBe("one two three");
    expect(deltas.every((chunk) => chunk.choices[0].finish_reason === null)).toBe(true);
    expect(chunks.at(-1).choices).toEqual([{ index: 0, delta: {}, finish_reason: "stop" }]);
    expect(chunks.every((chunk) => !("usage" in chunk))).toBe(true);
  });

  it("adds the usage chunk before [DONE] when stream_options.include_usage is set", async () => {
    const res = await post(url(), {
      stream: true,
      stream_options: { include_usage: true },
      ...userSays("12345678"),
    });
    const events = (await res.text())
      .split("\n\n")
      .filter((block) => block.startsWith("data: "))
      .map((block) => block.slice("data: ".length));
    expect(events.at(-1)).toBe("[DONE]");
    const chunks = events.slice(0, -1).map((data) => JSON.parse(data));
    expect(chunks.at(-2).choices[0].finish_reason).toBe("stop");
    expect(chunks.at(-1)).toEqual({
      id: chunks[0].id,
      object: "chat.completion.chunk",
      created: expect.any(Number),
      model: "coderclaw",
      choices: [],
      usage: { prompt_tokens: 2, completion_tokens: 2, total_tokens: 4 },
    });
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
  });

  it("keeps a user's conversation in one session, and honours x-coderclaw-session-key", async () => {
    await post(url(), { user: "alice", ...userSays("first") });
    await post(url(), { user: "alice", ...userSays("second") });
    await post(url(), userSays("pinned"), { "x-coderclaw-session-key": "agent:main:pinned-by-header" });
    const peer = await fixture.connected();
    const { sessions } = (await peer.request("sessions.list")).payload as {
      sessions: Array<{ key: string; messageCount: number }>;
    };
    expect(sessions.find((s) => s.key === "agent:main:openai-user:alice")?.messageCount).toBe(4);
    expect(sessions.find((s) => s.key === "agent:main:pinned-by-header")?.messageCount).toBe(2);
  });

  it("refuses requests without the gateway secret (401), and other methods (405)", async () => {
    const anonymous = await fetch(url(), { method: "POST", body: JSON.stringify(userSays("hi")) });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({
      error: { message: "Unauthorized", type: "authentication_error", param: null, code: "invalid_api_key" },
    });
    expect((await post(url(), userSays("hi"), { authorization: "Bearer wrong" })).status).toBe(401);
    const get = await fetch(url(), { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    expect(await get.json()).toEqual({
      error: {
        message: "Method Not Allowed",
        type: "invalid_request_error",
        param: null,
        code: "method_not_allowed",
      },
    });
  });

  it("answers bad requests with invalid_request_error and the reason", async () => {
    const cases: Array<[unknown, number, string]> = [
      ["{not json", 400, "Invalid JSON body"],
      [{ messages: [] }, 400, "Missing user message in `messages`."],
      [{ ...userSays("x".repeat(1024 * 1024 + 1)) }, 413, "Payload too large"],
    ];
    for (const [body, status, message] of cases) {
      const res = await post(url(), body);
      expect(res.status).toBe(status);
      expect(await res.json()).toEqual({
        error: { message, type: "invalid_request_error", param: null, code: null },
      });
    }
  });

  it("answers a model that names no agent with 404 model_not_found", async () => {
    for (const model of ["coderclaw:nobody", "gpt-4o"]) {
      const res = await post(url(), { model, ...userSays("hi") });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({
        error: {
          message: `The model \`${model}\` does not exist or you do not have access to it.`,
          type: "invalid_request_error",
          param: "model",
          code: "model_not_found",
        },
      });
    }
  });
});

describe("POST /v1/chat/completions behind the rate limiter", () => {
  const fixture = useGateway(
    localConfig({
      ...ENABLED,
      auth: { token: TEST_TOKEN, rateLimit: { maxAttempts: 2, lockoutMs: 60_000, exemptLoopback: false } },
    }),
  );

  it("answers 429 with Retry-After once a client has guessed wrong too often", async () => {
    const url = httpUrl(fixture.url);
    for (let i = 0; i < 2; i += 1) {
      expect((await post(url, userSays("hi"), { authorization: "Bearer wrong" })).status).toBe(401);
    }
    const res = await post(url, userSays("hi"));
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(55);
    expect(await res.json()).toEqual({
      error: {
        message: "Too many failed authentication attempts. Please try again later.",
        type: "rate_limit_exceeded",
        param: null,
        code: "rate_limit_exceeded",
      },
    });
  });
});
