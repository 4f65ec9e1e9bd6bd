import { randomUUID } from "node:crypto";
import type { EventFrameIn, GatewayClient } from "./gateway-client.js";

export interface AgentTurnParams {
  message: string;
  agentId?: string;
  sessionKey?: string;
  deliver?: boolean;
  /** Seconds the gateway allows the run (its `timeout` param). */
  timeoutSeconds?: number;
}

/** The final `agent` response: `{runId, status, summary, result?}`. */
export interface AgentTurnResult {
  runId: string;
  status: string;
  summary?: string;
  result?: { payloads?: { text?: string }[]; meta?: Record<string, unknown> };
  [key: string]: unknown;
}

/**
 * One agent turn over an open client: sends `agent` with a fresh idempotency key and hands each new
 * piece of assistant text to `onText` as it arrives. Assistant events carry `data.text`, the whole
 * text so far; only the part not yet shown is passed on (a `data.delta` alone is used when `text`
 * is missing).
 */
export class AgentTurn {
  readonly runId = randomUUID();
  /** The session the run went to, once its first event names it. */
  sessionKey: string | undefined;
  private shown = "";
  private readonly listener: (frame: EventFrameIn) => void;

  constructor(
    private readonly client: GatewayClient,
    private readonly params: AgentTurnParams,
    private readonly onText: (text: string) => void,
  ) {
    this.sessionKey = params.sessionKey;
    this.listener = (frame) => this.onEvent(frame);
  }

  /** The text streamed so far. */
  get text(): string {
    return this.shown;
  }

  /** Resolves with the final response; rejects with the gateway's error (failed, timed out, aborted). */
  async run(waitMs: number): Promise<AgentTurnResult> {
    this.client.on("event", this.listener);
    try {
      return await this.client.request<AgentTurnResult>(
        "agent",
        {
          message: this.params.message,
          idempotencyKey: this.runId,
          ...(this.params.agentId ? { agentId: this.params.agentId } : {}),
          ...(this.params.sessionKey ? { sessionKey: this.params.sessionKey } : {}),
          ...(this.params.deliver ? { deliver: true } : {}),
          ...(this.params.timeoutSeconds !== undefined ? { timeout: this.params.timeoutSeconds } : {}),
        },
        { expectFinal: true, timeoutMs: waitMs },
      );
    } finally {
      this.client.off("event", this.listener);
    }
  }

  /** Asks the gateway to stop this run; the pending `run()` then settles with the abort. */
  async abort(): Promise<void> {
    if (!this.sessionKey) return;
    await this.client.request("chat.abort", { sessionKey: this.sessionKey, runId: this.runId });
  }

  private onEvent(frame: EventFrameIn): void {
    if (frame.event !== "agent") return;
    const payload = frame.payload as {
      runId?: string;
      stream?: string;
      sessionKey?: string;
      data?: { text?: unknown; delta?: unknown };
    };
    if (payload?.runId !== this.runId) return;
    if (typeof payload.sessionKey === "string") this.sessionKey = payload.sessionKey;
    if (payload.stream !== "assistant") return;
    const data = payload.data ?? {};
    let next: string;
    if (typeof data.text === "string") next = data.text;
    else if (typeof data.delta === "string") next = this.shown + data.delta;
    else return;
    // A text that does not extend what was shown (a rewrite) cannot be un-printed: show nothing new.
    if (!next.startsWith(this.shown) || next.length === this.shown.length) return;
    const suffix = next.slice(this.shown.length);
    this.shown = next;
    this.onText(suffix);
  }
}

/** The reply text of a final result: its payload texts, else what was streamed. */
export function replyText(result: AgentTurnResult, streamed: string): string {
  const texts = (result.result?.payloads ?? []).map((p) => p.text).filter((t): t is string => !!t);
  return texts.length > 0 ? texts.join("\n") : streamed;
}
