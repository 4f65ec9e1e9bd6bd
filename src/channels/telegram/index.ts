import type { ChannelPlugin } from "../types.js";
import {
  defaultTelegramAccountId,
  listTelegramAccountIds,
  resolveTelegramAccount,
  type TelegramAccount,
} from "./account.js";
import { chunkTelegramText, TELEGRAM_TEXT_LIMIT } from "./chunk.js";
import { openTelegramConnection, probeTelegram, telegramApi } from "./connection.js";

/**
 * Telegram through the Bot API, by long polling (openclaw-docs channels/telegram.md): `botToken`,
 * `tokenFile` or TELEGRAM_BOT_TOKEN, `apiRoot`, `pollTimeoutSeconds`, the shared access keys, and
 * `accounts.<id>` for more bots.
 */
export const telegramChannel: ChannelPlugin<TelegramAccount> = {
  id: "telegram",
  meta: { label: "Telegram", detailLabel: "Telegram Bot" },
  config: {
    listAccountIds: listTelegramAccountIds,
    resolveAccount: resolveTelegramAccount,
    defaultAccountId: defaultTelegramAccountId,
    isEnabled: (account) => account.enabled,
    isConfigured: (account) => account.problem === null,
    unconfiguredReason: (account) => account.problem ?? "not configured",
  },
  gateway: {
    start: (ctx) => openTelegramConnection(ctx),
  },
  status: {
    probe: (account, timeoutMs, connection) =>
      connection?.probe ? connection.probe(timeoutMs) : probeTelegram(telegramApi(account), timeoutMs),
    buildAccountSnapshot: (account) => ({
      tokenSource: account.tokenSource,
      mode: "polling",
      ...(account.apiRoot !== "https://api.telegram.org" ? { apiRoot: account.apiRoot } : {}),
    }),
  },
  outbound: {
    textChunkLimit: TELEGRAM_TEXT_LIMIT,
    chunker: (text, limit) => chunkTelegramText(text, limit),
  },
  reload: { configPrefixes: ["channels.telegram"] },
};
