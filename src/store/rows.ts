/** The rows of state.db as the gateway reads and writes them. */

export type RunStatus = "accepted" | "streaming" | "ok" | "error";
export type MessageState = "final" | "aborted" | "error" | "interrupted";

export interface SessionRow {
  key: string;
  sessionId: string;
  agentId: string;
  createdAt: number;
  updatedAt: number;
}

export interface SessionSummary extends SessionRow {
  messageCount: number;
  lastMessage: { role: string; text: string; ts: number } | null;
}

export type MessageRole = "user" | "assistant" | "system";
/** Where a transcript message came from or went to, when that was a channel. */
export interface MessageOrigin {
  channel: string;
  accountId: string;
  /** The chat: the DM peer's id or the group's id. */
  peer: string;
}

export interface MessageRow {
  id: number;
  sessionId: string;
  runId: string | null;
  role: MessageRole;
  text: string;
  state: MessageState;
  ts: number;
  channel: string | null;
  accountId: string | null;
  peer: string | null;
}

/** A transcript message read under a size bound: `text` is null when it was too large to read. */
export interface BoundedMessageRow extends Omit<MessageRow, "text"> {
  text: string | null;
  /** The text's size in UTF-8 bytes. */
  bytes: number;
}

export interface RunRow {
  runId: string;
  dedupeKey: string;
  kind: string;
  sessionKey: string;
  sessionId: string;
  agentId: string;
  status: RunStatus;
  stopReason: string | null;
  text: string;
  error: string | null;
  acceptedAt: number;
  startedAt: number | null;
  endedAt: number | null;
  meta: Record<string, unknown> | null;
}

/** A run as it is accepted: who runs it where, and the message that starts it. */
export interface NewRun extends Pick<
  RunRow,
  "runId" | "dedupeKey" | "kind" | "sessionKey" | "sessionId" | "agentId" | "acceptedAt"
> {
  userText: string;
  /** Who said the message that started the run: a user, or the gateway (a system event). Default user. */
  userRole?: "user" | "system";
  /** The channel chat the user message came from. */
  origin?: MessageOrigin | null;
}

export interface RunOutcome {
  status: "ok" | "error";
  startedAt: number | null;
  stopReason: string | null;
  text: string;
  error: string | null;
  endedAt: number;
  meta?: Record<string, unknown> | null;
  /** The transcript state of the assistant message (none is written for an empty, failed run). */
  messageState: MessageState;
  /** The channel chat the reply goes to. */
  replyTo?: MessageOrigin | null;
}

/** A `runs` row as SQLite returns it. */
export interface RawRun {
  run_id: string;
  dedupe_key: string;
  kind: string;
  session_key: string;
  session_id: string;
  agent_id: string;
  status: RunStatus;
  stop_reason: string | null;
  text: string;
  error: string | null;
  accepted_at: number;
  started_at: number | null;
  ended_at: number | null;
  meta: string | null;
}

export const toRun = (raw: RawRun): RunRow => ({
  runId: raw.run_id,
  dedupeKey: raw.dedupe_key,
  kind: raw.kind,
  sessionKey: raw.session_key,
  sessionId: raw.session_id,
  agentId: raw.agent_id,
  status: raw.status,
  stopReason: raw.stop_reason,
  text: raw.text,
  error: raw.error,
  acceptedAt: raw.accepted_at,
  startedAt: raw.started_at,
  endedAt: raw.ended_at,
  meta: raw.meta ? (JSON.parse(raw.meta) as Record<string, unknown>) : null,
});
