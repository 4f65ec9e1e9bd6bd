import OpenAI from "openai";
import { useGateway } from "./helpers/gateway-fixture.js";
import { localConfig, TEST_TOKEN } from "./helpers/gateway-process.js";

// The official client, called as an application calls it, against a real gateway with two echo agents.
const fixture = useGateway(
  localConfig(
    { http: { endpoints: { chatCompletions: { enabled: true }, responses: { enabled: true } } } },
    {
      // `broken` runs a command that fails: its runs end in an error.
      providers: { failing: { type: "command", command: [process.execPath, "-e", "process.exit(3)"] } },
      agents: { list: [{ id: "main", default: true }, { id: "helper" }, { id: "broken", model: "failing" }] },
    },
  ),
);

const baseURL = () => `${fixture.url.replace(/^ws:/, "http:")}/v1`;
const client = (apiKey = TEST_TOKEN) => new OpenAI({ baseURL: baseURL(), apiKey, maxRetries: 0 });

async function sessionKeys(): Promise<string[]> {
  const peer = await fixture.connected();
  const { sessions } = (await peer.request("sessions.list")).payload as { sessions: Array<{ key: string }> };
  return sessions.map((session) => session.key);
}

describe("the openai package against the gateway", () => {
  it("lists the agents as models and retrieves one", async () => {
    const models = [];
    for await (const model of client().models.list()) models.push(model);
    expect(models).toEqual([
      { id: "coderclaw:main", object: "model", created: expect.any(Number), owned_by: "coderclaw" },
      { id: "coderclaw:helper", object: "model", created: expect.any(Number), owned_by: "coderclaw" },
      { id: "coderclaw:broken", object: "model", created: expect.any(Number), owned_by: "coderclaw" },
    ]);
    expect(await client().models.retrieve("coderclaw:helper")).toMatchObject({
      id: "coderclaw:helper",
      object: "model",
    });
    await expect(client().models.retrieve("coderclaw:nobody")).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("creates a chat completion with finish_reason stop and usage, on the agent the model names", async () => {
    const completion = await client().chat.completions.create({
      model: "coderclaw:helper",
      messages: [{ role: "user", content: "hello sdk" }],
      user: "sdk-chat",
    });
    expect(completion.model).toBe("coderclaw:helper");
    expect(completion.choices[0]?.message.content).toBe("hello sdk");
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    expect(completion.usage).toEqual({ prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 });
    expect(await sessionKeys()).toContain("agent:helper:openai-user:sdk-chat");
  });

  it("streams chat completion chunks ending with finish_reason stop, and the usage chunk when asked", async () => {
    const stream = await client().chat.completions.create({
      model: "coderclaw",
      messages: [{ role: "user", content: "one two three" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("")).toBe("one two three");
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe("stop");
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(chunks.at(-1)?.usage?.total_tokens).toBe(8);
  });

  it("assembles the final chat completion with the stream helper", async () => {
    const stream = client().chat.completions.stream({
      model: "coderclaw:main",
      messages: [{ role: "user", content: "streamed whole" }],
    });
    const deltas: string[] = [];
    stream.on("content", (delta) => deltas.push(delta));
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]?.message.content).toBe("streamed whole");
    expect(final.choices[0]?.finish_reason).toBe("stop");
    expect(deltas.join("")).toBe("streamed whole");
  });

  it("creates a response whose output_text is the reply", async () => {
    const response = await client().responses.create({ model: "coderclaw:helper", input: "hello responses" });
    expect(response.status).toBe("completed");
    expect(response.output_text).toBe("hello responses");
    expect(response.usage).toMatchObject({ input_tokens: 4, output_tokens: 4, total_tokens: 8 });
  });

  it("streams a response: the events as raw iteration, the final response through the stream helper", async () => {
    const events = await client().responses.create({ model: "coderclaw", input: "one two", stream: true });
    const types: string[] = [];
    let text = "";
    for await (const event of events) {
      types.push(event.type);
      if (event.type === "response.output_text.delta") text += event.delta;
      if (event.type === "response.completed")
        expect(event.response.output[0]).toMatchObject({ type: "message" });
    }
    expect(text).toBe("one two");
    expect(types[0]).toBe("response.created");
    expect(types.at(-1)).toBe("response.completed");

    const stream = client().responses.stream({ model: "coderclaw:main", input: "helper stream" });
    const deltas: string[] = [];
    stream.on("response.output_text.delta", (event) => deltas.push(event.delta));
    const final = await stream.finalResponse();
    // The stream helper's final response is the wire object (the SDK adds `output_text` to `create` only).
    expect(final.output[0]).toMatchObject({
      type: "message",
      role: "assistant",
      content: [{ type: "output_text", text: "helper stream" }],
    });
    expect(final.status).toBe("completed");
    expect(final.usage?.output_tokens).toBe(4);
    expect(deltas.join("")).toBe("helper stream");
  });

  it("raises AuthenticationError for a wrong key and NotFoundError for an unknown model", async () => {
    const wrongKey = client("not-the-token").chat.completions.create({
      model: "coderclaw",
      messages: [{ role: "user", content: "hi" }],
    });
    await expect(wrongKey).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(wrongKey).rejects.toMatchObject({ status: 401, code: "invalid_api_key" });
    await expect(client("not-the-token").models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);

    const unknown = client().responses.create({ model: "gpt-4o", input: "hi" });
    await expect(unknown).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(unknown).rejects.toMatchObject({ status: 404, code: "model_not_found", param: "model" });
  });
});

describe("GET /v1/models on the wire", () => {
  const url = (path = "") => `${baseURL()}/models${path}`;

  it("needs the gateway secret, answers GET only, and names unknown models in OpenAI's error shape", async () => {
    const anonymous = await fetch(url());
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({
      error: { message: "Unauthorized", type: "authentication_error", param: null, code: "invalid_api_key" },
    });
    const post = await fetch(url(), { method: "POST", headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    const unknown = await fetch(url("/__proto__"), { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error).toMatchObject({ param: "model", code: "model_not_found" });
    const encoded = await fetch(url("/coderclaw%3Ahelper"), {
      headers: { authorization: `Bearer ${TEST_TOKEN}` },
    });
    expect(await encoded.json()).toMatchObject({ id: "coderclaw:helper" });
  });
});

describe("a run that fails", () => {
  it("ends a chat completion stream with an error event, which the client raises", async () => {
    const stream = await client().chat.completions.create({
      model: "coderclaw:broken",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
    });
    const iterate = async () => {
      for await (const chunk of stream) void chunk;
    };
    const raised = iterate();
    await expect(raised).rejects.toBeInstanceOf(OpenAI.APIError);
    // The stream's error carries the run's own reason (here, the provider's exit).
    await expect(raised).rejects.toMatchObject({ type: "server_error" });

    const raw = await fetch(`${baseURL()}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "coderclaw:broken",
        messages: [{ role: "user", content: "hi" }],
        stream: true,
      }),
    });
    const data = (await raw.text()).split("\n\n").filter((block) => block.startsWith("data: "));
    expect(data.at(-1)).toBe("data: [DONE]");
    expect(JSON.parse(data.at(-2)!.slice("data: ".length))).toEqual({
      error: { message: expect.stringMatching(/exit/), type: "server_error", param: null, code: null },
    });
  });

  it("ends a response stream with response.failed carrying the error", async () => {
    const events = await client().responses.create({ model: "coderclaw:broken", input: "hi", stream: true });
    const types: string[] = [];
    let failed: unknown;
    for await (const event of events) {
      types.push(event.type);
      if (event.type === "response.failed") failed = event.response;
    }
    expect(types.at(-1)).toBe("response.failed");
    expect(failed).toMatchObject({
      status: "failed",
      error: { code: "server_error", message: "internal error" },
    });
  });

  it("answers a whole chat completion with a server error", async () => {
    const failed = client().chat.completions.create({
      model: "coderclaw:broken",
      messages: [{ role: "user", content: "hi" }],
    });
    await expect(failed).rejects.toBeInstanceOf(OpenAI.APIError);
    await expect(failed).rejects.toMatchObject({ status: 500, type: "server_error" });
  });
});
