import { chatMessage, type ChatMessage } from "../protocol/run-event-payloads.js";
import type { BoundedMessageRow, MessageState } from "../store/rows.js";
import type { StateStore } from "../store/state-store.js";

/** Upstream's bounds: one message at most 128 KiB of JSON, the whole list at most 6 MiB. */
export const CHAT_HISTORY_MAX_MESSAGE_BYTES = 128 * 1024;
export const CHAT_HISTORY_MAX_TOTAL_BYTES = 6 * 1024 * 1024;
export const CHAT_HISTORY_OVERSIZED_PLACEHOLDER = "[chat.history omitted: message too large]";

export interface HistoryMessage extends ChatMessage {
  runId: string | null;
  state: MessageState;
  /** Set when the message was too large and its text is the placeholder. */
  truncated?: true;
  /** The channel chat the message came from or went to. */
  channel?: string;
  accountId?: string | null;
  peer?: string | null;
}

/** Where a channel message came from or went to; nothing for the gateway's own clients. */
function originOf(row: BoundedMessageRow): Pick<HistoryMessage, "channel" | "accountId" | "peer"> {
  return row.channel ? { channel: row.channel, accountId: row.accountId, peer: row.peer } : {};
}

export interface BoundedHistory {
  messages: HistoryMessage[];
  /** Messages replaced by the placeholder. */
  placeholders: number;
  /** Older messages were left out to keep the total under the budget. */
  capped: boolean;
}

function placeholderOf(row: BoundedMessageRow): HistoryMessage {
  return {
    ...chatMessage(row.role, CHAT_HISTORY_OVERSIZED_PLACEHOLDER, row.ts),
    runId: row.runId,
    state: row.state,
    truncated: true,
    ...originOf(row),
  };
}

/**
 * The newest `limit` messages of a transcript, oldest first, within the budget: a message whose JSON
 * is over the per-message bound becomes a placeholder, and the oldest messages go once the total would
 * pass the budget. Oversized texts are never read from the store.
 */
export function boundedHistory(
  store: StateStore,
  sessionId: string,
  limit: number,
  budget = { messageBytes: CHAT_HISTORY_MAX_MESSAGE_BYTES, totalBytes: CHAT_HISTORY_MAX_TOTAL_BYTES },
): BoundedHistory {
  const newestFirst: HistoryMessage[] = [];
  let placeholders = 0;
  let capped = false;
  // The brackets of the array; each element adds its own bytes and a comma.
  let total = 2;
  for (const row of store.recentMessagesBounded(sessionId, limit, budget.messageBytes)) {
    let message: HistoryMessage | null =
      row.text === null
        ? null
        : {
            ...chatMessage(row.role, row.text, row.ts),
            runId: row.runId,
            state: row.state,
            ...originOf(row),
          };
    let bytes = message ? Buffer.byteLength(JSON.stringify(message)) : Infinity;
    if (bytes > budget.messageBytes) {
      message = placeholderOf(row);
      bytes = Buffer.byteLength(JSON.stringify(message));
      placeholders += 1;
    }
    if (total + bytes + 1 > budget.totalBytes) {
      capped = true;
      break;
    }
    total += bytes + 1;
    newestFirst.push(message as HistoryMessage);
  }
  return { messages: newestFirst.reverse(), placeholders, capped };
}
