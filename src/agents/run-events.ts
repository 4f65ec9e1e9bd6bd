/** What the gateway broadcasts about runs; the runtime decides who receives them. */
export interface RunEventSink {
  agent(payload: AgentEventPayload): void;
  chat(payload: ChatEventPayload, options: { dropIfSlow: boolean }): void;
}

export interface AgentEventPayload {
  runId: string;
  /** Per run, from 1, strictly +1. */
  seq: number;
  stream: "lifecycle" | "assistant";
  ts: number;
  data: Record<string, unknown>;
  sessionKey: string;
}

export interface ChatMessage {
  /** `system`: an event the gateway recorded in the session (a webhook wake, a hook run's summary). */
  role: "user" | "assistant" | "system";
  content: Array<{ type: "text"; text: string }>;
  timestamp: number;
}

export interface ChatEventPayload {
  runId: string;
  sessionKey: string;
  seq: number;
  state: "delta" | "final" | "error" | "aborted";
  message?: ChatMessage;
  errorMessage?: string;
  stopReason?: string;
}

export function chatMessage(role: ChatMessage["role"], text: string, timestamp: number): ChatMessage {
  return { role, content: [{ type: "text", text }], timestamp };
}

/** Chat deltas carry the whole text so far and go out at most once per this interval per run. */
export const CHAT_DELTA_INTERVAL_MS = 150;
