import type { RunOutput } from "../machines/run.machine.js";
import { chatMessage } from "../protocol/run-event-payloads.js";
import { CHAT_DELTA_INTERVAL_MS, type RunEventSink } from "./run-events.js";

/**
 * What one run tells clients: `agent` events with a per-run seq (strictly +1) and `chat` events, whose
 * deltas carry the whole text so far at most once per 150 ms. It also holds the text produced so far.
 */
export class RunStream {
  text = "";
  private seq = 0;
  private lastChatDeltaAt = 0;
  private chatDeltaTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly runId: string,
    private readonly sessionKey: string,
    private readonly sink: RunEventSink,
  ) {}

  started(startedAt: number): void {
    this.agent("lifecycle", { phase: "start", startedAt });
  }

  delta(delta: string): void {
    this.text += delta;
    this.agent("assistant", { text: this.text, delta });
    if (this.chatDeltaTimer) return;
    const wait = this.lastChatDeltaAt + CHAT_DELTA_INTERVAL_MS - Date.now();
    if (wait <= 0) this.chatDelta();
    else this.chatDeltaTimer = setTimeout(() => this.chatDelta(), wait);
  }

  /**
   * The last events of the run: lifecycle end/error and chat final/error/aborted. A run failed when its
   * provider did, or when its end could not be saved (`unsaved`), whatever its stop reason.
   */
  finished(output: RunOutput, startedAt: number | null, endedAt: number, unsaved = false): void {
    const failed = unsaved || output.stopReason === "provider";
    this.stopDeltas();
    const base = { runId: this.runId, sessionKey: this.sessionKey };
    if (output.status === "ok") {
      this.agent("lifecycle", { phase: "end", startedAt, endedAt });
      this.chat({
        ...base,
        seq: this.seq,
        state: "final",
        message: chatMessage("assistant", this.text, endedAt),
      });
    } else if (failed) {
      this.agent("lifecycle", { phase: "error", startedAt, endedAt, error: output.error });
      this.chat({ ...base, seq: this.seq, state: "error", errorMessage: output.error ?? "run failed" });
    } else {
      this.agent("lifecycle", {
        phase: "end",
        startedAt,
        endedAt,
        aborted: true,
        stopReason: output.stopReason,
      });
      this.chat({
        ...base,
        seq: this.seq,
        state: "aborted",
        stopReason: output.stopReason ?? "rpc",
        ...(this.text ? { message: chatMessage("assistant", this.text, endedAt) } : {}),
      });
    }
  }

  private stopDeltas(): void {
    if (this.chatDeltaTimer) clearTimeout(this.chatDeltaTimer);
    this.chatDeltaTimer = null;
  }

  private chatDelta(): void {
    this.chatDeltaTimer = null;
    this.lastChatDeltaAt = Date.now();
    this.sink.chat(
      {
        runId: this.runId,
        sessionKey: this.sessionKey,
        seq: this.seq,
        state: "delta",
        message: chatMessage("assistant", this.text, this.lastChatDeltaAt),
      },
      { dropIfSlow: true },
    );
  }

  private chat(payload: Parameters<RunEventSink["chat"]>[0]): void {
    this.sink.chat(payload, { dropIfSlow: false });
  }

  private agent(stream: "lifecycle" | "assistant", data: Record<string, unknown>): void {
    this.seq += 1;
    this.sink.agent({
      runId: this.runId,
      seq: this.seq,
      stream,
      ts: Date.now(),
      data,
      sessionKey: this.sessionKey,
    });
  }
}
