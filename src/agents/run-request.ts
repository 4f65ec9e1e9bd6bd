import type { MessageOrigin, RunRow } from "../store/rows.js";

export type RunKind = "agent" | "chat";

/** What a caller (the `agent` and `chat.send` methods, HTTP, channels, hooks) asks AgentRuns to run. */
export interface RunRequest {
  kind: RunKind;
  idempotencyKey: string;
  message: string;
  agentId?: string;
  sessionKey?: string;
  /** Seconds (agent) — 0 means no timeout; undefined means the configured default. */
  timeoutMs?: number;
  /** A model ref (`<provider>/<model>`) for this run instead of the agent's. */
  model?: string;
  /** How the message enters the transcript: said by the user (default), or a system event. */
  messageRole?: "user" | "system";
  /** The channel chat the message came from (recorded with it in the transcript). */
  origin?: MessageOrigin;
  /** The channel chat the reply goes to (recorded with it in the transcript). */
  replyTo?: MessageOrigin;
  /** Deliver the reply to the session's last channel chat (`deliver: true`). */
  deliver?: boolean;
}

/** A run accepted and queued in its session lane: what the caller acks with, and its end to come. */
export interface RunStarted {
  run: { runId: string; sessionKey: string; acceptedAt: number; replyTo: MessageOrigin | null };
  done: Promise<RunRow>;
}

/** A run that already exists for this idempotency key: still going, or finished (kept in the store). */
export type Deduplicated = { kind: "active"; run: RunStarted } | { kind: "finished"; row: RunRow };
