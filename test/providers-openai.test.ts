import http from "node:http";
import type { AddressInfo } from "node:net";

import { createOpenAIProvider, type OpenAIProviderConfig } from "../src/agents/providers/openai.js";
import { ProviderError, RunAbortedError } from "../src/agents/providers/provider.js";
import { SseDecoder } from "../src/agents/providers/sse.js";
import {
  completionEvents,
  MODEL,
  startFakeOpenAIServer,
  type FakeOpenAIServer,
} from "./helpers/fake-openai-server.js";
import { makeProviderRun, settleAllProviderRuns } from "./helpers/provider-run.js";

const KEY_ENV = "CODERCLAW_TEST_OPENAI_KEY";
let server: FakeOpenAIServer;

function provider(config: Partial<OpenAIProviderConfig> = {}) {
  return createOpenAIProvider("fake", { baseUrl: server.baseUrl, model: MODEL, ...config });
}

async function providerError(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

beforeEach(async () => {
  server = await startFakeOpenAIServer();
});

afterEach(async () => {
  await settleAllProviderRuns();
  await server.close();
  delete process.env[KEY_ENV];
});

describe("openai provider: streaming", () => {
  it("posts history + message with stream: true and streams content deltas in order", async () => {
    server.reply({ content: ["Hel", "lo", " there"], usage: { prompt_tokens: 7, completion_tokens: 3 } });
    const run = makeProviderRun({
      message: "and now?",
      history: () => [
        { role: "user", text: "hi" },
        { role: "assistant", text: "hello!" },
      ],
    });
    const result = await run.start(provider({ apiKey: "sk-test", headers: { "x-team": "claw" } }));

    expect(run.deltas).toEqual(["Hel", "lo", " there"]);
    expect(result).toEqual({
      text: "Hello there",
      meta: { model: MODEL, finishReason: "stop", usage: { prompt_tokens: 7, completion_tokens: 3 } },
    });
    const [request] = server.requests;
    expect(request?.method).toBe("POST");
    expect(request?.url).toBe("/v1/chat/completions");
    expect(request?.body).toEqual({
      model: MODEL,
      messages: [
        { role: "user", content: "hi" },
        { role: "assistant", content: "hello!" },
        { role: "user", content: "and now?" },
      ],
      stream: true,
    });
    expect(request?.headers.authorization).toBe("Bearer sk-test");
    expect(request?.headers["x-team"]).toBe("claw");
  });

  it("uses the request's model over the configured one", async () => {
    const run = makeProviderRun({ model: "llama3.1" });
    await run.start(provider({ model: "default-model" }));
    expect(server.requests[0]?.body).toMatchObject({ model: "llama3.1" });
  });

  it("reads the key from apiKeyEnv, and sends no Authorization without a key", async () => {
    process.env[KEY_ENV] = "sk-from-env";
    await makeProviderRun().start(provider({ apiKeyEnv: KEY_ENV }));
    await makeProviderRun().start(provider());
    expect(server.requests[0]?.headers.authorization).toBe("Bearer sk-from-env");
    expect(server.requests[1]?.headers.authorization).toBeUndefined();
  });

  it("parses a stream split at arbitrary bytes, with CRLF, comments and multi-byte text", async () => {
    const stream = [": keep-alive", "", ...completionEvents(["Grüße ", "🎉", " done"])]
      .join("\n")
      .replace(/\n/g, "\r\n");
    const bytes = Buffer.from(stream);
    const pieces: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += 7) pieces.push(bytes.subarray(at, at + 7));
    server.reply({ raw: pieces, intervalMs: 1 });

    const run = makeProviderRun();
    const result = await run.start(provider());
    expect(run.deltas).toEqual(["Grüße ", "🎉", " done"]);
    expect(result.text).toBe("Grüße 🎉 done");
  });

  it("fails with a clear message when no model is configured or requested", async () => {
    const error = await providerError(makeProviderRun().start(provider({ model: undefined })));
    expect(error.code).toBe("PROVIDER_FAILED");
    expect(error.message).toBe(
      "no model configured for provider fake (set providers.fake.model or use fake/<model>)",
    );
    expect(server.requests).toHaveLength(0);
  });

  it("lists the configured default model, or none", () => {
    expect(provider().models()).toEqual([{ id: `fake/${MODEL}`, provider: "fake", name: MODEL }]);
    expect(provider({ model: undefined }).models()).toEqual([]);
  });
});

describe("openai provider: retries", () => {
  it("retries a 429 after the Retry-After delay, then streams the answer", async () => {
    server.reply({ status: 429, headers: { "retry-after": "1" }, error: { message: "Rate limit reached" } });
    const run = makeProviderRun();
    const result = await run.start(provider());
    expect(result.text).toBe("Hello!");
    expect(server.requests).toHaveLength(2);
    const [first, second] = server.requests;
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(900);
  });

  it("gives up after maxRetries on repeated 5xx, backing off exponentially", async () => {
    const failure = { status: 500, error: { message: "The server had an error", type: "server_error" } };
    server.reply(failure, failure, failure, failure);
    const error = await providerError(makeProviderRun().start(provider({ maxRetries: 2 })));
    expect(error.code).toBe("PROVIDER_FAILED");
    expect(error.message).toBe("fake: server error (HTTP 500): The server had an error");
    expect(server.requests).toHaveLength(3);
    const [a, b, c] = server.requests.map((request) => request.receivedAt);
    expect(b! - a!).toBeGreaterThanOrEqual(200);
    expect(c! - b!).toBeGreaterThanOrEqual(450);
  });

  it("reports PROVIDER_UNREACHABLE when the endpoint refuses connections, after retrying", async () => {
    const baseUrl = `http://127.0.0.1:${await closedPort()}/v1`;
    const run = makeProviderRun();
    const started = Date.now();
    const error = await providerError(run.start(provider({ baseUrl, maxRetries: 2 })));
    expect(error.code).toBe("PROVIDER_UNREACHABLE");
    expect(error.message).toBe(`cannot reach ${baseUrl}/chat/completions: ECONNREFUSED`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250 + 500 - 50);
    expect(run.logs.filter((entry) => entry.message.includes("retry"))).toHaveLength(2);
  });

  it("retries a connection cut before any output", async () => {
    server.reply({ raw: [], cut: true });
    const run = makeProviderRun();
    const result = await run.start(provider());
    expect(result.text).toBe("Hello!");
    expect(server.requests).toHaveLength(2);
  });

  it("does not retry once output has been streamed", async () => {
    server.reply({ raw: completionEvents(["partial"]).slice(0, 2), cut: true });
    const run = makeProviderRun();
    const error = await providerError(run.start(provider()));
    expect(run.deltas).toEqual(["partial"]);
    expect(error.code).toBe("PROVIDER_UNREACHABLE");
    expect(error.message).toMatch(/^connection to .* lost mid-stream/);
    expect(server.requests).toHaveLength(1);
  });

  it("fails a stream that ends cleanly but before the answer was complete", async () => {
    server.reply({ raw: completionEvents(["partial"]).slice(0, 2) });
    const error = await providerError(makeProviderRun().start(provider()));
    expect(error.code).toBe("PROVIDER_FAILED");
    expect(error.message).toMatch(/ended before the answer was complete$/);
  });
});

describe("openai provider: errors", () => {
  it("maps 401 to PROVIDER_AUTH with the server's message and a hint", async () => {
    server.reply({
      status: 401,
      error: { message: "Incorrect API key provided: sk-bad", code: "invalid_api_key" },
    });
    const error = await providerError(makeProviderRun().start(provider({ apiKey: "sk-bad" })));
    expect(error.code).toBe("PROVIDER_AUTH");
    expect(error.message).toBe(
      "fake: authentication failed (HTTP 401): Incorrect API key provided: sk-bad; check providers.fake.apiKey",
    );
    expect(server.requests).toHaveLength(1);
  });

  it("maps 404 to PROVIDER_NOT_FOUND with the server's message", async () => {
    server.reply({
      status: 404,
      error: { message: "The model `nope` does not exist", code: "model_not_found" },
    });
    const error = await providerError(makeProviderRun({ model: "nope" }).start(provider()));
    expect(error.code).toBe("PROVIDER_NOT_FOUND");
    expect(error.message).toBe(
      "fake: model or endpoint not found (HTTP 404): The model `nope` does not exist",
    );
  });

  it("maps other 4xx to PROVIDER_FAILED with the status, without retrying", async () => {
    server.reply({ status: 400, error: { message: "messages: must not be empty" } });
    const error = await providerError(makeProviderRun().start(provider()));
    expect(error.code).toBe("PROVIDER_FAILED");
    expect(error.message).toBe("fake: request failed (HTTP 400): messages: must not be empty");
    expect(server.requests).toHaveLength(1);
  });

  it("times out a server that never answers", async () => {
    server.reply({ delayMs: 5_000 });
    const error = await providerError(makeProviderRun().start(provider({ timeoutMs: 300 })));
    expect(error.code).toBe("PROVIDER_UNREACHABLE");
    expect(error.message).toBe(`request to ${server.baseUrl}/chat/completions timed out after 300ms`);
  });

  it("times out a stream that stalls after some output", async () => {
    server.reply({ content: ["Hel"], hang: true });
    const run = makeProviderRun();
    const error = await providerError(run.start(provider({ timeoutMs: 300 })));
    expect(error.code).toBe("PROVIDER_UNREACHABLE");
    expect(error.message).toMatch(/timed out after 300ms$/);
    expect(run.deltas).toEqual(["Hel"]);
  });
});

describe("openai provider: abort", () => {
  it("on abort mid-stream rejects RunAbortedError and the server sees the connection close", async () => {
    server.reply({ content: ["Hel", "lo"], hang: true });
    const run = makeProviderRun({ onDelta: () => run.abort() });
    await expect(run.start(provider())).rejects.toBeInstanceOf(RunAbortedError);
    expect(run.deltas).toEqual(["Hel"]);
    await expect(server.requests[0]?.closed).resolves.toEqual({ completed: false });
  });

  it("stops waiting for a retry when aborted during the backoff", async () => {
    server.reply({ status: 503, headers: { "retry-after": "5" } });
    const run = makeProviderRun();
    const pending = run.start(provider());
    while (server.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const started = Date.now();
    run.abort();
    await expect(pending).rejects.toBeInstanceOf(RunAbortedError);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe("SSE decoding", () => {
  const stream =
    ': comment\r\nevent: message\r\ndata: {"a":1}\r\n\r\ndata:first\ndata: second\n\rdata: [DONE]\r\n\r\n';
  const events = ['{"a":1}', "first\nsecond", "[DONE]"];

  it("yields the data of each complete event, whatever the line ends", () => {
    const decoder = new SseDecoder();
    expect([...decoder.push(stream), ...decoder.end()]).toEqual(events);
  });

  it("yields the same events when fed one character at a time", () => {
    const decoder = new SseDecoder();
    const decoded = [...stream].flatMap((char) => decoder.push(char));
    expect([...decoded, ...decoder.end()]).toEqual(events);
  });

  it("flushes a last event the stream ended without a blank line for", () => {
    const decoder = new SseDecoder();
    expect(decoder.push("data: tail")).toEqual([]);
    expect(decoder.end()).toEqual(["tail"]);
  });
});
