/** The payload of an `agent` event: one step of a run's stream. */
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

/** The payload of a `chat` event: a session's reply as it grows, and how it ended. */
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
