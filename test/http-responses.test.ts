import { promptFromInput } from "../src/http/responses.js";
import { useGateway } from "./helpers/gateway-fixture.js";
import { localConfig, TEST_TOKEN } from "./helpers/gateway-process.js";

function post(wsUrl: string, body: unknown): Promise<Response> {
  return fetch(`${wsUrl.replace(/^ws:/, "http:")}/v1/responses`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${TEST_TOKEN}` },
    body: JSON.stringify(body),
  });
}

/** `event: <type>\ndata: <json>` blocks, then `data: [DONE]`. */
function parseEvents(text: string): Array<{ event: string | null; data: string }> {
  return text
    .split("\n\n")
    .filter((block) => block.trim() !== "")
    .map((block) => {
      const lines = block.split("\n");
      const event = lines.find((line) => line.startsWith("event: "))?.slice("event: ".length) ?? null;
      const data = lines.find((line) => line.startsWith("data: "))?.slice("data: ".length) ?? "";
      return { event, data };
    });
}

describe("promptFromInput", () => {
  it("takes a string, or message items with text content, after the instructions", () => {
    expect(promptFromInput("hello", undefined)).toEqual({ message: "hello" });
    expect(
      promptFromInput(
        [
          { role: "user", content: [{ type: "input_text", text: "hi" }] },
          { type: "message", role: "assistant", content: "hello" },
          { role: "user", content: "how are you?" },
        ],
        "Be kind.",
      ),
    ).toEqual({ message: "System: Be kind.\n\nUser: hi\n\nAssistant: hello\n\nUser: how are you?" });
  });

  it("refuses images, files and function-call items with their path, and input without a user message", () => {
    expect(
      promptFromInput(
        [{ role: "user", content: [{ type: "input_image", image_url: "https://x/y.png" }] }],
        null,
      ),
    ).toEqual({ error: 'input[0].content[0].type: "input_image" is not supported (text only)' });
    expect(promptFromInput([{ type: "function_call_output", call_id: "c", output: "{}" }], null)).toEqual({
      error: 'input[0].type: "function_call_output" is not supported (text only)',
    });
    expect(promptFromInput([{ role: "assistant", content: "only me" }], null)).toEqual({
      error: "input: must contain a user message",
    });
    expect(promptFromInput(42, null)).toEqual({
      error: "input: must be a string or an array of input items",
    });
  });
});

describe("POST /v1/responses", () => {
  const fixture = useGateway(localConfig({ http: { endpoints: { responses: { enabled: true } } } }));

  it("answers with a completed response holding one assistant message", async () => {
    const res = await post(fixture.url, { model: "coderclaw", input: "hello responses" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      id: expect.stringMatching(/^resp_[0-9a-f-]{36}$/),
      object: "response",
      created_at: expect.any(Number),
      status: "completed",
      model: "coderclaw",
      output: [
        {
          type: "message",
          id: expect.stringMatching(/^msg_[0-9a-f-]{36}$/),
          role: "assistant",
          status: "completed",
          content: [{ type: "output_text", text: "hello responses", annotations: [] }],
        },
      ],
      // Estimated at four characters a token: 15 characters each way.
      usage: {
        input_tokens: 4,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 4,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 8,
      },
      error: null,
    });
  });

  it("streams the typed events in order, the text deltas adding up to the reply, then [DONE]", async () => {
    const res = await post(fixture.url, { input: "one two three", stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const events = parseEvents(await res.text());
    expect(events.at(-1)).toEqual({ event: null, data: "[DONE]" });
    const typed = events.slice(0, -1).map(({ event, data }) => ({ event, body: JSON.parse(data) }));
    expect(typed.every(({ event, body }) => body.type === event)).toBe(true);
    expect(typed.map(({ body }) => body.sequence_number)).toEqual(typed.map((_, index) => index));
    const order = typed.map(({ event }) => event).filter((event) => event !== "response.output_text.delta");
    expect(order).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    const deltas = typed.filter(({ event }) => event === "response.output_text.delta");
    expect(deltas.map(({ body }) => body.delta).join("")).toBe("one two three");
    const completed = typed.at(-1)!.body.response;
    expect(completed.status).toBe("completed");
    expect(completed.id).toBe(typed[0]!.body.response.id);
    expect(completed.output[0].content[0].text).toBe("one two three");
    expect(typed.find(({ event }) => event === "response.output_text.done")!.body.text).toBe("one two three");
  });

  it("lists the agents at /v1/models with only this endpoint enabled", async () => {
    const res = await fetch(`${fixture.url.replace(/^ws:/, "http:")}/v1/models`, {
      headers: { authorization: `Bearer ${TEST_TOKEN}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      object: "list",
      data: [{ id: "coderclaw:main", object: "model", created: expect.any(Number), owned_by: "coderclaw" }],
    });
  });

  it("answers unsupported input with 400 and its path", async () => {
    const res = await post(fixture.url, {
      input: [{ role: "user", content: [{ type: "input_file", file_id: "f" }] }],
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: {
        message: 'input[0].content[0].type: "input_file" is not supported (text only)',
        type: "invalid_request_error",
        param: null,
        code: null,
      },
    });
  });
});
