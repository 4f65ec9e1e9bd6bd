import { setTimeout as sleep } from "node:timers/promises";
import type { ProviderConfig } from "../../config/providers.js";
import {
  ProviderError,
  RunAbortedError,
  type Provider,
  type ProviderRequest,
  type ProviderResult,
} from "./provider.js";
import { SseDecoder } from "./sse.js";

export type OpenAIProviderConfig = Omit<Extract<ProviderConfig, { type: "openai" }>, "type">;

const DEFAULT_TIMEOUT_MS = 120_000;
const DEFAULT_MAX_RETRIES = 2;
const BACKOFF_BASE_MS = 250;
const MAX_RETRY_DELAY_MS = 10_000;

/** A failure worth another attempt (429, 5xx, connection errors), as long as nothing was streamed yet. */
class RetryableError extends Error {
  constructor(
    readonly failure: ProviderError,
    readonly retryAfterMs: number | null,
  ) {
    super(failure.message);
  }
}

/** The parts of a `chat.completion.chunk` (or a non-streamed `chat.completion`) this provider reads. */
interface ChatCompletionPayload {
  model?: unknown;
  choices?: {
    delta?: { content?: unknown };
    message?: { content?: unknown };
    finish_reason?: unknown;
  }[];
  usage?: unknown;
  error?: unknown;
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; null when absent or unreadable. */
function parseRetryAfter(header: string | null): number | null {
  if (header === null || header.trim() === "") return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

/** The human part of an error body: OpenAI's `{error:{message}}`, Ollama's `{error:"…"}`, or raw text. */
function errorMessageOf(body: string, fallback: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown };
    const error = parsed.error as { message?: unknown } | string | undefined;
    if (typeof error === "string") return error;
    if (typeof error?.message === "string") return error.message;
    if (typeof parsed.message === "string") return parsed.message;
  } catch {
    // Not JSON: fall through to the raw text.
  }
  const text = body.trim();
  return text === "" ? fallback : text.slice(0, 500);
}

/** The errno-style code of a fetch failure (undici hides it in `cause`, sometimes in an AggregateError). */
function networkCode(error: unknown): string {
  const cause = (error as { cause?: unknown } | null)?.cause as
    { code?: unknown; errors?: { code?: unknown }[]; message?: unknown } | undefined;
  if (typeof cause?.code === "string") return cause.code;
  const nested = cause?.errors?.[0]?.code;
  if (typeof nested === "string") return nested;
  if (typeof cause?.message === "string") return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** Where and how one configured provider talks to its endpoint. */
interface Endpoint {
  id: string;
  url: string;
  config: OpenAIProviderConfig;
  timeoutMs: number;
  maxRetries: number;
}

function unreadable(endpoint: Endpoint, data: string): ProviderError {
  return new ProviderError(
    "PROVIDER_FAILED",
    `${endpoint.id}: unreadable response from ${endpoint.url}: ${data.slice(0, 200)}`,
  );
}

function parsePayload(endpoint: Endpoint, data: string): ChatCompletionPayload {
  let payload: unknown;
  try {
    payload = JSON.parse(data);
  } catch {
    throw unreadable(endpoint, data);
  }
  if (typeof payload !== "object" || payload === null) throw unreadable(endpoint, data);
  const chunk = payload as ChatCompletionPayload;
  if (chunk.error !== undefined && chunk.error !== null) {
    throw new ProviderError(
      "PROVIDER_FAILED",
      `${endpoint.id}: ${errorMessageOf(data, "error in response")}`,
    );
  }
  return chunk;
}

async function httpFailure(endpoint: Endpoint, response: Response): Promise<Error> {
  const { id, config } = endpoint;
  const status = response.status;
  const body = await response.text().catch(() => "");
  const message = errorMessageOf(body, response.statusText || "no details");
  if (status === 401 || status === 403) {
    const envHint =
      config.apiKey === undefined && config.apiKeyEnv && !process.env[config.apiKeyEnv]
        ? ` (or set ${config.apiKeyEnv}, which is empty)`
        : "";
    return new ProviderError(
      "PROVIDER_AUTH",
      `${id}: authentication failed (HTTP ${status}): ${message}; check providers.${id}.apiKey${envHint}`,
    );
  }
  if (status === 404) {
    return new ProviderError(
      "PROVIDER_NOT_FOUND",
      `${id}: model or endpoint not found (HTTP 404): ${message}`,
    );
  }
  const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
  if (status === 429) {
    const failure = new ProviderError("PROVIDER_FAILED", `${id}: rate limited (HTTP 429): ${message}`);
    return new RetryableError(failure, retryAfterMs);
  }
  if (status >= 500) {
    const failure = new ProviderError("PROVIDER_FAILED", `${id}: server error (HTTP ${status}): ${message}`);
    return new RetryableError(failure, retryAfterMs);
  }
  return new ProviderError("PROVIDER_FAILED", `${id}: request failed (HTTP ${status}): ${message}`);
}

/** One run against the endpoint: attempts with backoff, each streaming until [DONE]. */
class ChatCompletionRun {
  /** Once output reached the user, a failure can no longer be retried. */
  private emitted = false;
  private readonly body: string;
  private readonly headers: Headers;

  constructor(
    private readonly endpoint: Endpoint,
    private readonly request: ProviderRequest,
    private readonly model: string,
  ) {
    this.body = JSON.stringify({
      model,
      messages: [
        ...request.history().map((turn) => ({ role: turn.role, content: turn.text })),
        { role: "user", content: request.message },
      ],
      stream: true,
    });
    const { config } = endpoint;
    const apiKey = config.apiKey ?? (config.apiKeyEnv ? process.env[config.apiKeyEnv] : undefined);
    this.headers = new Headers({ "content-type": "application/json", accept: "text/event-stream" });
    if (apiKey) this.headers.set("authorization", `Bearer ${apiKey}`);
    for (const [name, value] of Object.entries(config.headers ?? {})) this.headers.set(name, value);
  }

  async execute(): Promise<ProviderResult> {
    const { signal, log } = this.request;
    const { maxRetries } = this.endpoint;
    if (signal.aborted) throw new RunAbortedError();
    log.debug(`${this.endpoint.id}: POST ${this.endpoint.url} (model ${this.model})`);
    for (let retry = 0; ; retry++) {
      try {
        return await this.attempt();
      } catch (error) {
        if (signal.aborted) throw new RunAbortedError();
        if (!(error instanceof RetryableError)) throw error;
        if (this.emitted || retry >= maxRetries) throw error.failure;
        const delayMs = Math.min(error.retryAfterMs ?? BACKOFF_BASE_MS * 2 ** retry, MAX_RETRY_DELAY_MS);
        log.debug(`${error.message}; retry ${retry + 1}/${maxRetries} in ${delayMs}ms`);
        try {
          await sleep(delayMs, undefined, { signal });
        } catch {
          throw new RunAbortedError();
        }
      }
    }
  }

  /** One HTTP request, from connect to the end of the stream, under its own timeout. */
  private async attempt(): Promise<ProviderResult> {
    const { url, timeoutMs } = this.endpoint;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const forwardAbort = () => controller.abort();
    this.request.signal.addEventListener("abort", forwardAbort, { once: true });
    const networkFailure = (error: unknown) => this.networkFailure(error, timedOut);
    try {
      let response: Response;
      try {
        response = await fetch(url, {
          method: "POST",
          headers: this.headers,
          body: this.body,
          signal: controller.signal,
        });
      } catch (error) {
        throw networkFailure(error);
      }
      if (!response.ok) throw await httpFailure(this.endpoint, response);
      // Some servers ignore `stream: true` and answer with one JSON completion.
      if (!(response.headers.get("content-type") ?? "").includes("text/event-stream")) {
        const text = await response.text().catch((error: unknown) => {
          throw networkFailure(error);
        });
        return this.completionFrom(text);
      }
      return await this.readStream(response, networkFailure);
    } finally {
      clearTimeout(timer);
      this.request.signal.removeEventListener("abort", forwardAbort);
    }
  }

  private networkFailure(error: unknown, timedOut: boolean): Error {
    const { url, timeoutMs } = this.endpoint;
    if (this.request.signal.aborted) return new RunAbortedError();
    if (timedOut) {
      return new ProviderError("PROVIDER_UNREACHABLE", `request to ${url} timed out after ${timeoutMs}ms`);
    }
    const code = networkCode(error);
    if (this.emitted) {
      return new ProviderError("PROVIDER_UNREACHABLE", `connection to ${url} lost mid-stream: ${code}`);
    }
    return new RetryableError(
      new ProviderError("PROVIDER_UNREACHABLE", `cannot reach ${url}: ${code}`),
      null,
    );
  }

  private emit(text: string): void {
    if (text === "" || this.request.signal.aborted) return;
    this.emitted = true;
    this.request.onDelta(text);
  }

  private completionFrom(body: string): ProviderResult {
    const payload = parsePayload(this.endpoint, body);
    const choice = payload.choices?.[0];
    const text = typeof choice?.message?.content === "string" ? choice.message.content : "";
    this.emit(text);
    if (this.request.signal.aborted) throw new RunAbortedError();
    return {
      text,
      meta: {
        model: typeof payload.model === "string" ? payload.model : this.model,
        finishReason: typeof choice?.finish_reason === "string" ? choice.finish_reason : null,
        ...(payload.usage ? { usage: payload.usage } : {}),
      },
    };
  }

  private async readStream(
    response: Response,
    networkFailure: (error: unknown) => Error,
  ): Promise<ProviderResult> {
    const { id, url } = this.endpoint;
    if (!response.body) throw new ProviderError("PROVIDER_FAILED", `${id}: empty response from ${url}`);
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    const sse = new SseDecoder();
    let text = "";
    let model = this.model;
    let finishReason: string | null = null;
    let usage: unknown;
    let done = false;
    const handle = (data: string) => {
      if (done) return;
      if (data.trim() === "[DONE]") {
        done = true;
        return;
      }
      const payload = parsePayload(this.endpoint, data);
      if (typeof payload.model === "string") model = payload.model;
      if (payload.usage) usage = payload.usage;
      const choice = payload.choices?.[0];
      if (typeof choice?.finish_reason === "string") finishReason = choice.finish_reason;
      const content = choice?.delta?.content;
      if (typeof content === "string") {
        text += content;
        this.emit(content);
      }
    };
    try {
      while (!done) {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (error) {
          throw networkFailure(error);
        }
        if (chunk.done) {
          [...sse.push(decoder.decode()), ...sse.end()].forEach(handle);
          break;
        }
        sse.push(decoder.decode(chunk.value, { stream: true })).forEach(handle);
      }
    } finally {
      // Releases the connection when we stop at [DONE] before the server closes the stream.
      reader.cancel().catch(() => undefined);
    }
    if (this.request.signal.aborted) throw new RunAbortedError();
    if (!done && finishReason === null) {
      throw new ProviderError(
        "PROVIDER_FAILED",
        `${id}: stream from ${url} ended before the answer was complete`,
      );
    }
    return { text, meta: { model, finishReason, ...(usage ? { usage } : {}) } };
  }
}

/** Any OpenAI-compatible Chat Completions endpoint (OpenAI, Ollama, vLLM, LM Studio…), streamed via SSE. */
export function createOpenAIProvider(id: string, config: OpenAIProviderConfig): Provider {
  const endpoint: Endpoint = {
    id,
    url: `${config.baseUrl.replace(/\/+$/, "")}/chat/completions`,
    config,
    timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxRetries: config.maxRetries ?? DEFAULT_MAX_RETRIES,
  };
  return {
    id,
    kind: "openai",
    async run(request) {
      const model = request.model ?? config.model;
      if (!model) {
        throw new ProviderError(
          "PROVIDER_FAILED",
          `no model configured for provider ${id} (set providers.${id}.model or use ${id}/<model>)`,
        );
      }
      return new ChatCompletionRun(endpoint, request, model).execute();
    },
    models: () => (config.model ? [{ id: `${id}/${config.model}`, provider: id, name: config.model }] : []),
  };
}
