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

/** Any OpenAI-compatible Chat Completions endpoint (OpenAI, Ollama, vLLM, LM Studio…), streamed via SSE. */
export function createOpenAIProvider(id: string, config: OpenAIProviderConfig): Provider {
  const url = `${config.baseUrl.replace(/\/+$/, "")}/chat/completions`;
  const timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxRetries = config.maxRetries ?? DEFAULT_MAX_RETRIES;

  function headersFor(apiKey: string | undefined): Headers {
    const headers = new Headers({ "content-type": "application/json", accept: "text/event-stream" });
    if (apiKey) headers.set("authorization", `Bearer ${apiKey}`);
    for (const [name, value] of Object.entries(config.headers ?? {})) headers.set(name, value);
    return headers;
  }

  async function httpFailure(response: Response): Promise<Error> {
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
      return new RetryableError(
        new ProviderError("PROVIDER_FAILED", `${id}: rate limited (HTTP 429): ${message}`),
        retryAfterMs,
      );
    }
    if (status >= 500) {
      return new RetryableError(
        new ProviderError("PROVIDER_FAILED", `${id}: server error (HTTP ${status}): ${message}`),
        retryAfterMs,
      );
    }
    return new ProviderError("PROVIDER_FAILED", `${id}: request failed (HTTP ${status}): ${message}`);
  }

  async function run(request: ProviderRequest): Promise<ProviderResult> {
    const model = request.model ?? config.model;
    if (!model) {
      throw new ProviderError(
        "PROVIDER_FAILED",
        `no model configured for provider ${id} (set providers.${id}.model or use ${id}/<model>)`,
      );
    }
    const apiKey = config.apiKey ?? (config.apiKeyEnv ? process.env[config.apiKeyEnv] : undefined);
    const body = JSON.stringify({
      model,
      messages: [
        ...request.history.map((turn) => ({ role: turn.role, content: turn.text })),
        { role: "user", content: request.message },
      ],
      stream: true,
    });
    let emitted = false;

    /** One HTTP request, from connect to the end of the stream, under its own timeout. */
    async function attempt(): Promise<ProviderResult> {
      const controller = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, timeoutMs);
      const forwardAbort = () => controller.abort();
      request.signal.addEventListener("abort", forwardAbort, { once: true });
      const networkFailure = (error: unknown): Error => {
        if (request.signal.aborted) return new RunAbortedError();
        if (timedOut) {
          return new ProviderError(
            "PROVIDER_UNREACHABLE",
            `request to ${url} timed out after ${timeoutMs}ms`,
          );
        }
        const code = networkCode(error);
        if (emitted)
          return new ProviderError("PROVIDER_UNREACHABLE", `connection to ${url} lost mid-stream: ${code}`);
        return new RetryableError(
          new ProviderError("PROVIDER_UNREACHABLE", `cannot reach ${url}: ${code}`),
          null,
        );
      };
      try {
        let response: Response;
        try {
          response = await fetch(url, {
            method: "POST",
            headers: headersFor(apiKey),
            body,
            signal: controller.signal,
          });
        } catch (error) {
          throw networkFailure(error);
        }
        if (!response.ok) throw await httpFailure(response);
        const contentType = response.headers.get("content-type") ?? "";
        // Some servers ignore `stream: true` and answer with one JSON completion.
        if (!contentType.includes("text/event-stream")) {
          const text = await response.text().catch((error: unknown) => {
            throw networkFailure(error);
          });
          return completionFrom(text);
        }
        return await readStream(response, networkFailure);
      } finally {
        clearTimeout(timer);
        request.signal.removeEventListener("abort", forwardAbort);
      }
    }

    function parsePayload(data: string): ChatCompletionPayload {
      let payload: ChatCompletionPayload;
      try {
        payload = JSON.parse(data) as ChatCompletionPayload;
      } catch {
        throw new ProviderError(
          "PROVIDER_FAILED",
          `${id}: unreadable response from ${url}: ${data.slice(0, 200)}`,
        );
      }
      if (typeof payload !== "object" || payload === null) {
        throw new ProviderError(
          "PROVIDER_FAILED",
          `${id}: unreadable response from ${url}: ${data.slice(0, 200)}`,
        );
      }
      if (payload.error !== undefined && payload.error !== null) {
        throw new ProviderError("PROVIDER_FAILED", `${id}: ${errorMessageOf(data, "error in response")}`);
      }
      return payload;
    }

    function completionFrom(body: string): ProviderResult {
      const payload = parsePayload(body);
      const choice = payload.choices?.[0];
      const text = typeof choice?.message?.content === "string" ? choice.message.content : "";
      if (text !== "") {
        emitted = true;
        request.onDelta(text);
      }
      return {
        text,
        meta: {
          model: typeof payload.model === "string" ? payload.model : model,
          finishReason: typeof choice?.finish_reason === "string" ? choice.finish_reason : null,
          ...(payload.usage ? { usage: payload.usage } : {}),
        },
      };
    }

    async function readStream(
      response: Response,
      networkFailure: (error: unknown) => Error,
    ): Promise<ProviderResult> {
      if (!response.body) throw new ProviderError("PROVIDER_FAILED", `${id}: empty response from ${url}`);
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      const sse = new SseDecoder();
      let text = "";
      let responseModel = model;
      let finishReason: string | null = null;
      let usage: unknown;
      let done = false;
      const handle = (data: string) => {
        if (done) return;
        if (data.trim() === "[DONE]") {
          done = true;
          return;
        }
        const payload = parsePayload(data);
        if (typeof payload.model === "string") responseModel = payload.model;
        if (payload.usage) usage = payload.usage;
        const choice = payload.choices?.[0];
        if (typeof choice?.finish_reason === "string") finishReason = choice.finish_reason;
        const content = choice?.delta?.content;
        if (typeof content === "string" && content !== "" && !request.signal.aborted) {
          text += content;
          emitted = true;
          request.onDelta(content);
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
      if (request.signal.aborted) throw new RunAbortedError();
      if (!done && finishReason === null) {
        throw new ProviderError(
          "PROVIDER_FAILED",
          `${id}: stream from ${url} ended before the answer was complete`,
        );
      }
      return {
        text,
        meta: { model: responseModel, finishReason, ...(usage ? { usage } : {}) },
      };
    }

    if (request.signal.aborted) throw new RunAbortedError();
    request.log.debug(`${id}: POST ${url} (model ${model})`);
    for (let retry = 0; ; retry++) {
      try {
        return await attempt();
      } catch (error) {
        if (request.signal.aborted) throw new RunAbortedError();
        if (!(error instanceof RetryableError)) throw error;
        if (emitted || retry >= maxRetries) throw error.failure;
        const delayMs = Math.min(error.retryAfterMs ?? BACKOFF_BASE_MS * 2 ** retry, MAX_RETRY_DELAY_MS);
        request.log.debug(`${error.message}; retry ${retry + 1}/${maxRetries} in ${delayMs}ms`);
        try {
          await sleep(delayMs, undefined, { signal: request.signal });
        } catch {
          throw new RunAbortedError();
        }
      }
    }
  }

  return {
    id,
    kind: "openai",
    run,
    models: () => (config.model ? [{ id: `${id}/${config.model}`, provider: id, name: config.model }] : []),
  };
}
