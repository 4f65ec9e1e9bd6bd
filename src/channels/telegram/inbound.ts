import type { InboundMessage } from "../types.js";

/** The parts of a Bot API `Update` this channel reads. */
export interface TelegramUpdate {
  update_id: number;
  message?: TelegramMessage;
}

interface TelegramEntity {
  type: string;
  offset: number;
  length: number;
  user?: { id: number };
}

export interface TelegramMessage {
  message_id: number;
  date?: number;
  chat: { id: number; type: string; title?: string };
  from?: { id: number; is_bot?: boolean; first_name?: string; last_name?: string; username?: string };
  text?: string;
  caption?: string;
  entities?: TelegramEntity[];
  caption_entities?: TelegramEntity[];
  reply_to_message?: { from?: { id: number } };
}

export interface BotIdentity {
  id: number;
  username: string;
}

/** Whether a group message addresses the bot: an @mention, a text mention, a reply to it, /cmd@bot. */
export function mentionsBot(message: TelegramMessage, bot: BotIdentity): boolean {
  if (message.reply_to_message?.from?.id === bot.id) return true;
  const text = message.text ?? message.caption ?? "";
  const entities = message.entities ?? message.caption_entities ?? [];
  const handle = `@${bot.username}`.toLowerCase();
  for (const entity of entities) {
    // Entity offsets and lengths are UTF-16 code units, as JavaScript strings index.
    const span = text.slice(entity.offset, entity.offset + entity.length).toLowerCase();
    if (entity.type === "mention" && span === handle) return true;
    if (entity.type === "text_mention" && entity.user?.id === bot.id) return true;
    if (entity.type === "bot_command" && span.endsWith(handle)) return true;
  }
  if (entities.length > 0) return false;
  // Clients that send no entities (some bridges) still write the handle.
  return new RegExp(`(^|[^\\w@])${handle.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\b`, "i").test(text);
}

function displayName(from: NonNullable<TelegramMessage["from"]>): string | undefined {
  const name = [from.first_name, from.last_name].filter(Boolean).join(" ");
  return name || from.username || undefined;
}

/**
 * An update as the gateway's InboundMessage: private chats are DMs from the numeric user id, groups
 * and supergroups are group peers by chat id. Updates without text (joins, stickers, edits, channel
 * posts) and messages from bots are not conversation and yield null.
 */
export function toInboundMessage(update: TelegramUpdate, bot: BotIdentity): InboundMessage | null {
  const message = update.message;
  // The shape is checked, not trusted: a malformed update is skipped, never a crash of the poll loop.
  if (typeof message?.from?.id !== "number" || message.from.is_bot) return null;
  if (typeof message.chat?.id !== "number" || typeof message.message_id !== "number") return null;
  const text = message.text ?? message.caption;
  if (typeof text !== "string" || text.trim() === "") return null;
  const chatType = message.chat.type;
  const group = chatType === "group" || chatType === "supergroup";
  if (chatType !== "private" && !group) return null;
  const name = displayName(message.from);
  return {
    messageId: `${message.chat.id}:${message.message_id}`,
    peer: group
      ? { kind: "group", id: String(message.chat.id) }
      : { kind: "direct", id: String(message.from.id) },
    sender: { id: String(message.from.id), ...(name ? { name } : {}) },
    text,
    mentioned: group ? mentionsBot(message, bot) : true,
    ts: typeof message.date === "number" ? message.date * 1000 : Date.now(),
  };
}
