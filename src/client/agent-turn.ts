import { randomUUID } from "node:crypto";
import type { AgentText, EventFrameIn, GatewayClient } from "./gateway-client.js";

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
 * piece of assistant text to `onText` as it arrives (the client rebuilds the run's text from whichever
 * event shape the gateway sends; only the part not yet shown is passed on).
 */
export class AgentTurn {
  readonly runId = randomUUID();
  /** The session the run went to, once its first event names it. */
  sessionKey: string | undefined;
  private shown = "";
  private readonly listener: (frame: EventFrameIn) => void;
  private readonly textListener: (text: AgentText) => void;

  constructor(
    private readonly client: GatewayClient,
    private readonly params: AgentTurnParams,
    private readonly onText: (text: string) => void,
  ) {
    this.sessionKey = params.sessionKey;
    this.listener = (frame) => this.onEvent(frame);
    this.textListener = (text) => this.onAgentText(text);
  }

  /** The text streamed so far. */
  get text(): string {
    return this.shown;
  }

  /** Resolves with the final response; rejects with the gateway's error (failed, timed out, aborted). */
  async run(waitMs: number): Promise<AgentTurnResult> {
    this.client.on("event", this.listener);
    this.client.on("agentText", this.textListener);
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
      this.client.off("agentText", this.textListener);
    }
  }

  /** Asks the gateway to stop this run; the pending `run()` then settles with the abort. */
  async abort(): Promise<void> {
    if (!this.sessionKey) return;
    await this.client.request("chat.abort", { sessionKey: this.sessionKey, runId: this.runId });
  }

  /** The first event of the run names its session (needed to abort it). */
  private onEvent(frame: EventFrameIn): void {
    if (frame.event !== "agent") return;
    const payload = frame.payload as { runId?: string; sessionKey?: string };
    if (payload?.runId === this.runId && typeof payload.sessionKey === "string")
      this.sessionKey = payload.sessionKey;
  }

  private onAgentText({ runId, text }: AgentText): void {
    if (runId !== this.runId) return;
    // A text that does not extend what was shown (a rewrite) cannot be un-printed: show nothing new.
    if (!text.startsWith(this.shown) || text.length === this.shown.length) return;
    const suffix = text.slice(this.shown.length);
    this.shown = text;
    this.onText(suffix);
  }
}

/** The reply text of a final result: its payload texts, else what was streamed. */
export function replyText(result: AgentTurnResult, streamed: string): string {
  const texts = (result.result?.payloads ?? []).map((p) => p.text).filter((t): t is string => !!t);
  return texts.length > 0 ? texts.join("\n") : streamed;
}
