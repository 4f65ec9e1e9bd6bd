import type { ChannelConnection, ChannelStartContext, ProbeResult } from "../types.js";
import { readTokenFile, type TelegramAccount } from "./account.js";
import { BotApi, sleep, TelegramApiError, type TelegramUser } from "./bot-api.js";
import { toInboundMessage, type BotIdentity, type TelegramUpdate } from "./inbound.js";

const GET_ME_TIMEOUT_MS = 15_000;
const SEND_TIMEOUT_MS = 30_000;
const CONFIRM_TIMEOUT_MS = 2_000;
/** A chunk refused with 429 is retried after retry_after, this many times at most. */
const SEND_ATTEMPTS = 5;
const CHAT_ID = /^-?\d{1,20}$/;

/**
 * How long one getUpdates may take before it counts as stalled: its long-poll timeout plus a margin
 * for a slow network (30 s → 50 s, 1 s → 6.5 s).
 */
export function pollDeadlineMs(pollTimeoutSeconds: number): number {
  return pollTimeoutSeconds * 1_500 + 5_000;
}

/** The next getUpdates offset of each bot, kept across transports so a restart does not replay updates. */
const nextOffsets = new Map<string, number>();

function explainStartFailure(error: unknown): Error {
  if (error instanceof TelegramApiError && error.errorCode === 401)
    return new Error(
      "getMe returned 401: Telegram rejected the bot token (update botToken, tokenFile or TELEGRAM_BOT_TOKEN)",
    );
  if (error instanceof TelegramApiError && error.errorCode === 404)
    return new Error("getMe returned 404: check apiRoot (the Bot API root, without /bot<token>)");
  return error instanceof Error ? error : new Error(String(error));
}

function explainPollFailure(error: unknown, deadlineMs: number): string {
  if (!(error instanceof TelegramApiError)) return error instanceof Error ? error.message : String(error);
  if (error.errorCode === 0 && error.description === "request timed out")
    return `getUpdates stalled: no answer within ${deadlineMs / 1000}s`;
  if (error.errorCode === 409)
    return `getUpdates: 409 ${error.description} (another process is polling this bot token, or a webhook is set; only one poller per bot)`;
  return error.message;
}

export function telegramApi(account: TelegramAccount): BotApi {
  let token = account.token;
  // The token file is read again for every fresh transport, so a rotated token needs no config change.
  if (account.tokenSource === "tokenFile" && account.tokenFile) {
    const read = readTokenFile(account.tokenFile);
    if ("problem" in read) throw new Error(read.problem);
    token = read.token;
  }
  return new BotApi(account.apiRoot, token);
}

export async function probeTelegram(api: BotApi, timeoutMs: number): Promise<ProbeResult> {
  const started = Date.now();
  try {
    const bot = await api.call<TelegramUser>("getMe", {}, { timeoutMs });
    return { ok: true, elapsedMs: Date.now() - started, bot: { id: bot.id, username: bot.username ?? null } };
  } catch (error) {
    return { ok: false, error: explainStartFailure(error).message, elapsedMs: Date.now() - started };
  }
}

/**
 * One transport of a Telegram account: getMe, then a long-poll loop (getUpdates with offset, timeout
 * and allowed_updates) until it fails, stalls or is stopped, and a send queue that delivers chunks in
 * order, waiting out 429s. When the loop ends, `closed` settles and the manager opens a fresh
 * transport; this one never retries a broken poll by itself.
 */
export async function openTelegramConnection(
  ctx: ChannelStartContext<TelegramAccount>,
): Promise<ChannelConnection> {
  const { account, log } = ctx;
  const label = `[${account.accountId}]`;
  const stopping = new AbortController();
  const onAbort = () => stopping.abort();
  ctx.abortSignal.addEventListener("abort", onAbort, { once: true });
  const api = telegramApi(account);
  let me: TelegramUser;
  try {
    me = await api.call<TelegramUser>("getMe", {}, { signal: stopping.signal, timeoutMs: GET_ME_TIMEOUT_MS });
  } catch (error) {
    ctx.abortSignal.removeEventListener("abort", onAbort);
    throw explainStartFailure(error);
  }
  if (typeof me?.id !== "number" || typeof me.username !== "string" || me.username === "") {
    ctx.abortSignal.removeEventListener("abort", onAbort);
    throw new Error("getMe answered without the bot's id and username");
  }
  const bot: BotIdentity = { id: me.id, username: me.username };
  ctx.setStatus({ mode: "polling", self: bot.username, lastEventAt: Date.now() });
  log.info(`${label} connected as @${bot.username} (long polling)`);

  const offsetKey = `${account.accountId}:${bot.id}`;
  const deadlineMs = pollDeadlineMs(account.pollTimeoutSeconds);

  const pollLoop = async (): Promise<void> => {
    while (!stopping.signal.aborted) {
      let updates: TelegramUpdate[];
      try {
        const offset = nextOffsets.get(offsetKey);
        updates = await api.call<TelegramUpdate[]>(
          "getUpdates",
          {
            ...(offset !== undefined ? { offset } : {}),
            timeout: account.pollTimeoutSeconds,
            allowed_updates: ["message"],
          },
          { signal: stopping.signal, timeoutMs: deadlineMs },
        );
      } catch (error) {
        if (stopping.signal.aborted) return;
        if (error instanceof TelegramApiError && error.retryAfterSeconds !== null) {
          log.warn(`${label} getUpdates rate-limited; retrying in ${error.retryAfterSeconds}s`);
          await sleep(error.retryAfterSeconds * 1_000, stopping.signal);
          continue;
        }
        throw new Error(explainPollFailure(error, deadlineMs), { cause: error });
      }
      ctx.setStatus({ lastEventAt: Date.now() });
      if (!Array.isArray(updates)) throw new Error("getUpdates answered without a list of updates");
      for (const update of updates) {
        if (typeof update?.update_id !== "number") continue;
        const next = nextOffsets.get(offsetKey);
        if (next !== undefined && update.update_id < next) continue;
        nextOffsets.set(offsetKey, update.update_id + 1);
        const message = toInboundMessage(update, bot);
        if (message) ctx.inbound(message);
      }
    }
  };

  const closed = pollLoop().then(
    () => ({}),
    (error: unknown) => {
      const reason = error instanceof Error ? error.message : String(error);
      if (!stopping.signal.aborted) {
        log.warn(`${label} polling ended: ${reason}`);
        ctx.setStatus({ connected: false, lastDisconnect: reason });
      }
      return stopping.signal.aborted ? {} : { error: reason };
    },
  );
  void closed.then(() => ctx.abortSignal.removeEventListener("abort", onAbort));

  let sendQueue: Promise<unknown> = Promise.resolve();
  const sendOne = async (to: string, text: string): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        await api.call(
          "sendMessage",
          { chat_id: to, text, link_preview_options: { is_disabled: true } },
          { signal: stopping.signal, timeoutMs: SEND_TIMEOUT_MS },
        );
        return;
      } catch (error) {
        if (
          !(error instanceof TelegramApiError) ||
          error.retryAfterSeconds === null ||
          attempt >= SEND_ATTEMPTS ||
          stopping.signal.aborted
        )
          throw error;
        log.warn(`${label} sendMessage rate-limited; retrying in ${error.retryAfterSeconds}s`);
        // The queue waits too, so no later chunk overtakes this one.
        await sleep(error.retryAfterSeconds * 1_000, stopping.signal);
      }
    }
  };

  return {
    closed,
    sendText(to, text) {
      if (!CHAT_ID.test(to)) return Promise.reject(new Error(`not a Telegram chat id: ${to.slice(0, 40)}`));
      const sent = sendQueue.then(() => sendOne(to, text));
      sendQueue = sent.catch(() => undefined);
      return sent;
    },
    async stop() {
      stopping.abort();
      await closed;
      // Confirms the updates already handled, so the next start (even in another process) does not
      // receive them again; best effort, briefly.
      const offset = nextOffsets.get(offsetKey);
      if (offset !== undefined)
        await api
          .call("getUpdates", { offset, timeout: 0, limit: 1 }, { timeoutMs: CONFIRM_TIMEOUT_MS })
          .catch(() => undefined);
    },
    probe: (timeoutMs) => probeTelegram(api, timeoutMs),
  };
}
