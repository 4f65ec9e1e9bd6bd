/**
 * The Telegram Bot API over Node's fetch: `POST <apiRoot>/bot<token>/<method>` with a JSON body,
 * answered `{ok: true, result}` or `{ok: false, error_code, description, parameters}`. Every request
 * has a deadline and follows the caller's AbortSignal. Errors never carry the URL (it holds the token).
 */

/** A Telegram answer with `ok: false`, or a transport failure (`errorCode` 0). */
export class TelegramApiError extends Error {
  constructor(
    readonly method: string,
    /** Telegram's `error_code` (HTTP-like: 401, 409, 429, ...); 0 for a network failure or timeout. */
    readonly errorCode: number,
    readonly description: string,
    /** Seconds to wait, from `parameters.retry_after` of a 429. */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(`${method}: ${errorCode > 0 ? `${errorCode} ` : ""}${description}`);
  }
}

/** The most a 429's retry_after may make us wait (a hostile or broken server cannot park us for days). */
export const MAX_RETRY_AFTER_S = 600;
/** A response body larger than this is refused (a getUpdates batch of 100 messages is far smaller). */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export interface BotApiCallOptions {
  signal?: AbortSignal;
  /** Abandon the request after this long. */
  timeoutMs: number;
}

export interface TelegramUser {
  id: number;
  is_bot?: boolean;
  first_name?: string;
  last_name?: string;
  username?: string;
}

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  cause?: unknown;
}

// Duck-typed: fetch's errors may come from another realm (a test VM), where instanceof Error fails.
const errorLike = (value: unknown): value is ErrorLike => typeof value === "object" && value !== null;
const withoutUrls = (text: string) => text.replace(/https?:\/\/\S+/g, "<api>");

function describeFailure(error: unknown): string {
  if (!errorLike(error)) return String(error);
  if (error.name === "TimeoutError") return "request timed out";
  if (error.name === "AbortError") return "request aborted";
  // fetch's "fetch failed" hides the reason (ECONNREFUSED, ENOTFOUND, ...) in `cause`.
  const cause = error.cause;
  if (errorLike(cause) && typeof cause.message === "string") {
    const reason = withoutUrls(cause.message);
    return typeof cause.code === "string" && !reason.includes(cause.code)
      ? `${cause.code}: ${reason}`
      : reason;
  }
  return withoutUrls(String(error.message));
}

export class BotApi {
  constructor(
    private readonly apiRoot: string,
    private readonly token: string,
  ) {}

  async call<T>(method: string, params: Record<string, unknown>, options: BotApiCallOptions): Promise<T> {
    const signals = [AbortSignal.timeout(options.timeoutMs)];
    if (options.signal) signals.push(options.signal);
    let response: Response;
    let body: string;
    try {
      response = await fetch(`${this.apiRoot}/bot${this.token}/${method}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(params),
        signal: AbortSignal.any(signals),
      });
      const length = Number(response.headers.get("content-length") ?? 0);
      if (length > MAX_RESPONSE_BYTES) {
        await response.body?.cancel();
        throw new TelegramApiError(method, 0, "response too large");
      }
      body = await response.text();
    } catch (error) {
      if (error instanceof TelegramApiError) throw error;
      throw new TelegramApiError(method, 0, describeFailure(error));
    }
    let parsed: {
      ok?: unknown;
      result?: unknown;
      error_code?: unknown;
      description?: unknown;
      parameters?: { retry_after?: unknown };
    };
    try {
      parsed = JSON.parse(body) as typeof parsed;
    } catch {
      throw new TelegramApiError(method, response.status, `HTTP ${response.status} without a JSON answer`);
    }
    if (parsed?.ok === true) return parsed.result as T;
    const code = typeof parsed?.error_code === "number" ? parsed.error_code : response.status;
    const description = typeof parsed?.description === "string" ? parsed.description.slice(0, 500) : "error";
    const retryAfter = parsed?.parameters?.retry_after;
    throw new TelegramApiError(
      method,
      code,
      description,
      typeof retryAfter === "number" && retryAfter >= 0 ? Math.min(retryAfter, MAX_RETRY_AFTER_S) : null,
    );
  }
}

/** Resolves after `ms`, or rejects when `signal` aborts first. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
