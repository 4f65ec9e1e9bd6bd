import type { AgentEventPayload, ChatEventPayload } from "../protocol/run-event-payloads.js";

/** What the gateway broadcasts about runs; the runtime decides who receives them. */
export interface RunEventSink {
  agent(payload: AgentEventPayload): void;
  chat(payload: ChatEventPayload, options: { dropIfSlow: boolean }): void;
}

/** Chat deltas carry the whole text so far and go out at most once per this interval per run. */
export const CHAT_DELTA_INTERVAL_MS = 150;
