/** One message of the open transcript, keyed so a streamed reply and its stored copy are the same row. */
export interface TranscriptMessage {
  key: string;
  role: "user" | "assistant";
  text: string;
  state: "final" | "streaming" | "aborted" | "error" | "interrupted";
  runId: string | null;
  ts: number;
  note?: string;
}

export interface HistoryMessage {
  role: "user" | "assistant";
  content: Array<{ type: string; text?: string }>;
  timestamp: number;
  runId?: string | null;
  state?: TranscriptMessage["state"];
}

export interface ChatEvent {
  runId: string;
  sessionKey: string;
  seq: number;
  state: "delta" | "final" | "error" | "aborted";
  message?: HistoryMessage;
  errorMessage?: string;
  stopReason?: string;
}

const textOf = (message: HistoryMessage | undefined) =>
  (message?.content ?? []).map((part) => part.text ?? "").join("");

export function keyOf(role: string, runId: string | null | undefined, fallback: string): string {
  return runId ? `${role}:${runId.replace(/^user-/, "")}` : `${role}:${fallback}`;
}

export function fromHistory(messages: HistoryMessage[]): TranscriptMessage[] {
  return messages.map((message, index) => ({
    key: keyOf(message.role, message.runId, `h${index}`),
    role: message.role,
    text: textOf(message),
    state: message.state ?? "final",
    runId: message.runId ?? null,
    ts: message.timestamp,
  }));
}

/** Applies one `chat` event (upstream shape: deltas carry the full text so far). */
export function applyChatEvent(messages: TranscriptMessage[], event: ChatEvent): TranscriptMessage[] {
  const role = event.message?.role ?? "assistant";
  const key = keyOf(role, event.runId, event.runId);
  const text = textOf(event.message);
  const state: TranscriptMessage["state"] = event.state === "delta" ? "streaming" : event.state;
  const index = messages.findIndex((message) => message.key === key);
  const previous = index >= 0 ? messages[index] : undefined;
  const next: TranscriptMessage = {
    key,
    role,
    text: text || previous?.text || "",
    state,
    runId: event.runId.replace(/^user-/, ""),
    ts: event.message?.timestamp ?? previous?.ts ?? Date.now(),
    ...(event.errorMessage
      ? { note: event.errorMessage }
      : event.stopReason && state === "aborted"
        ? { note: `aborted (${event.stopReason})` }
        : {}),
  };
  if (index < 0) return [...messages, next];
  const copy = messages.slice();
  copy[index] = next;
  return copy;
}
