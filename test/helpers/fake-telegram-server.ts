/**
 * A local HTTP server speaking the Telegram Bot API wire format, for tests (Telegram itself is not
 * reachable): `GET|POST /bot<token>/<method>` with JSON, form or query parameters, answered
 * `{ok: true, result}` or `{ok: false, error_code, description, parameters?}` with the matching HTTP
 * status. getMe, getUpdates (offset confirms, long-poll timeout holds the request until an update is
 * queued), sendMessage (4096 UTF-16 units at most, as Telegram), sendChatAction; 429 with
 * retry_after on demand, 409 like a second poller, a stall mode (getUpdates never answers) and an
 * outage mode (connections refused, or 502 answers).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface SentMessage {
  chatId: string;
  text: string;
  at: number;
}

export interface ApiCall {
  method: string;
  params: Record<string, unknown>;
  at: number;
  /** What the server answered: the HTTP status, or null for a request it held until the client left. */
  status: number | null;
}

export interface FakeTelegramServer {
  readonly apiRoot: string;
  readonly token: string;
  readonly bot: { id: number; username: string };
  readonly calls: ApiCall[];
  readonly sent: SentMessage[];
  /** A user writes to the bot: a private chat by default, a group when `chat` is given. */
  userMessage(message: {
    from: number;
    text: string;
    chat?: { id: number; type: "group" | "supergroup"; title?: string };
    entities?: Array<{ type: string; offset: number; length: number }>;
    replyToBot?: boolean;
  }): number;
  /** The next `count` calls of `method` are refused with 429 and `retry_after`. */
  rateLimit(method: string, retryAfterSeconds: number, count?: number): void;
  /** getUpdates requests are held forever (until the client gives up). */
  stall(on: boolean): void;
  /** Every getUpdates answers 409 Conflict, as when another process polls the same token. */
  conflict(on: boolean): void;
  /** Connections refused (the port closed), or every request answered 502; null ends the outage. */
  outage(mode: "refuse" | "502" | null): Promise<void>;
  /** Resolves once a getUpdates request is being held (the client is polling). */
  waitForPoll(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const MAX_TEXT = 4096;

export async function startFakeTelegram(
  options: { token?: string; username?: string } = {},
): Promise<FakeTelegramServer> {
  const token = options.token ?? "123456789:AAFakeTelegramTokenForTests_0123456789";
  const bot = { id: 123456789, username: options.username ?? "coderclaw_test_bot" };
  const calls: ApiCall[] = [];
  const sent: SentMessage[] = [];
  const updates: Array<{ update_id: number; message: Record<string, unknown> }> = [];
  const rateLimits = new Map<string, { retryAfter: number; count: number }>();
  const heldPolls = new Set<() => void>();
  let nextUpdateId = 1000;
  let nextMessageId = 1;
  let stalled = false;
  let conflicting = false;
  let failing502 = false;
  let pollWaiters: Array<() => void> = [];

  const reply = (res: http.ServerResponse, call: ApiCall, status: number, body: unknown) => {
    call.status = status;
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    res.end(text);
  };
  const fail = (
    res: http.ServerResponse,
    call: ApiCall,
    code: number,
    description: string,
    parameters?: Record<string, unknown>,
  ) =>
    reply(res, call, code, {
      ok: false,
      error_code: code,
      description,
      ...(parameters ? { parameters } : {}),
    });

  const pending = (offset: number) => updates.filter((update) => update.update_id >= offset);

  const getUpdates = (res: http.ServerResponse, call: ApiCall) => {
    const offset = Number(call.params.offset ?? 0);
    // A getUpdates with an offset confirms every update before it: Telegram forgets them.
    if (offset > 0) updates.splice(0, updates.length, ...pending(offset));
    const timeoutS = Math.min(Math.max(Number(call.params.timeout ?? 0), 0), 50);
    const answer = () => reply(res, call, 200, { ok: true, result: pending(offset).slice(0, 100) });
    if (!stalled && (pending(offset).length > 0 || timeoutS === 0)) return answer();
    const release = () => {
      heldPolls.delete(release);
      clearTimeout(timer);
      // A client that gave up has a destroyed socket; nothing to answer.
      if (!res.writableEnded && !res.destroyed && res.socket?.destroyed === false && !stalled) answer();
    };
    const timer = stalled ? undefined : setTimeout(release, timeoutS * 1000);
    heldPolls.add(release);
    const waiters = pollWaiters;
    pollWaiters = [];
    waiters.forEach((resolve) => resolve());
  };

  const handle = (req: http.IncomingMessage, res: http.ServerResponse, raw: string) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    const params: Record<string, unknown> = Object.fromEntries(url.searchParams);
    const contentType = req.headers["content-type"] ?? "";
    try {
      if (raw && contentType.includes("json")) Object.assign(params, JSON.parse(raw));
      else if (raw) Object.assign(params, Object.fromEntries(new URLSearchParams(raw)));
    } catch {
      params.__invalid = true;
    }
    const call: ApiCall = { method: match?.[2] ?? url.pathname, params, at: Date.now(), status: null };
    calls.push(call);
    if (failing502) {
      call.status = 502;
      res.writeHead(502, { "content-type": "text/html" });
      return res.end("<html><body><h1>502 Bad Gateway</h1></body></html>");
    }
    if (!match) return fail(res, call, 404, "Not Found");
    if (match[1] !== token) return fail(res, call, 401, "Unauthorized");
    if (params.__invalid) return fail(res, call, 400, "Bad Request: can't parse JSON");
    const method = match[2] as string;
    const limit = rateLimits.get(method);
    if (limit && limit.count > 0) {
      limit.count -= 1;
      return fail(res, call, 429, `Too Many Requests: retry after ${limit.retryAfter}`, {
        retry_after: limit.retryAfter,
      });
    }
    switch (method) {
      case "getMe":
        return reply(res, call, 200, {
          ok: true,
          result: { id: bot.id, is_bot: true, first_name: "CoderClaw Test", username: bot.username },
        });
      case "getUpdates":
        if (conflicting)
          return fail(
            res,
            call,
            409,
            "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
          );
        return getUpdates(res, call);
      case "sendMessage": {
        const text = typeof params.text === "string" ? params.text : "";
        if (params.chat_id === undefined) return fail(res, call, 400, "Bad Request: chat_id is empty");
        if (text.trim() === "") return fail(res, call, 400, "Bad Request: message text is empty");
        if (text.length > MAX_TEXT) return fail(res, call, 400, "Bad Request: message is too long");
        const chatId = String(params.chat_id);
        sent.push({ chatId, text, at: Date.now() });
        return reply(res, call, 200, {
          ok: true,
          result: {
            message_id: nextMessageId++,
            date: Math.floor(Date.now() / 1000),
            chat: { id: Number(chatId), type: Number(chatId) < 0 ? "supergroup" : "private" },
            from: { id: bot.id, is_bot: true, first_name: "CoderClaw Test", username: bot.username },
            text,
          },
        });
      }
      case "sendChatAction":
        return reply(res, call, 200, { ok: true, result: true });
      default:
        return fail(res, call, 404, "Not Found: method not found");
    }
  };

  const server = http.createServer((req, res) => {
    let raw = "";
    req.setEncoding("utf8");
    req.on("data", (data: string) => (raw += data));
    req.on("end", () => handle(req, res, raw));
    req.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;

  const releaseHeld = () => [...heldPolls].forEach((release) => release());

  return {
    apiRoot: `http://127.0.0.1:${port}`,
    token,
    bot,
    calls,
    sent,
    userMessage({ from, text, chat, entities, replyToBot }) {
      const updateId = nextUpdateId++;
      updates.push({
        update_id: updateId,
        message: {
          message_id: nextMessageId++,
          date: Math.floor(Date.now() / 1000),
          chat: chat ?? { id: from, type: "private", first_name: `User ${from}` },
          from: { id: from, is_bot: false, first_name: `User ${from}` },
          text,
          ...(entities ? { entities } : {}),
          ...(replyToBot ? { reply_to_message: { message_id: 1, from: { id: bot.id, is_bot: true } } } : {}),
        },
      });
      releaseHeld();
      return updateId;
    },
    rateLimit(method, retryAfterSeconds, count = 1) {
      rateLimits.set(method, { retryAfter: retryAfterSeconds, count });
    },
    stall(on) {
      stalled = on;
    },
    conflict(on) {
      conflicting = on;
    },
    async outage(mode) {
      failing502 = mode === "502";
      if (mode === "refuse") {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      } else if (!server.listening) {
        await new Promise<void>((resolve, reject) => {
          server.once("error", reject);
          server.listen(port, "127.0.0.1", () => {
            server.off("error", reject);
            resolve();
          });
        });
      }
    },
    waitForPoll(timeoutMs = 10_000) {
      if (heldPolls.size > 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no getUpdates request arrived in time")), timeoutMs);
        pollWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
    async close() {
      stalled = false;
      failing502 = false;
      releaseHeld();
      server.closeAllConnections();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
