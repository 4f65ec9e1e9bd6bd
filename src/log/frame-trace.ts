import { clip, formatBytes, formatDuration, redactForLog } from "./log-text.js";
import type { SubsystemLogger } from "./logger.js";

/** `compact`: one summary line per frame; `full`: the summary and the frame, redacted and cut. */
export type FrameTraceStyle = "compact" | "full";

/** The JSON of one frame in a `full` trace is cut to this many characters. */
export const MAX_FRAME_TEXT_CHARS = 2048;
/** Frames larger than this are summarized only: parsing them for the log is not worth it. */
const MAX_PARSED_FRAME_BYTES = 1024 * 1024;
/** Requests awaiting their response, per connection; the oldest are forgotten beyond this. */
const MAX_IN_FLIGHT = 256;

interface InFlight {
  method: string;
  at: number;
}

interface FrameFields {
  type?: unknown;
  id?: unknown;
  method?: unknown;
  event?: unknown;
  ok?: unknown;
  seq?: unknown;
  payload?: { status?: unknown } | null;
  error?: { code?: unknown } | null;
}

/**
 * The WebSocket frame trace of `--ws-log compact|full`: every frame in and out of every connection,
 * one line each. Responses name their request's method and how long it took.
 */
export class FrameTrace {
  private readonly inFlight = new Map<string, Map<string, InFlight>>();

  constructor(
    private readonly log: SubsystemLogger,
    readonly style: FrameTraceStyle,
    /** `info` when the operator asked for the trace (`--ws-log`), `debug` when it came with `--verbose`. */
    private readonly level: "info" | "debug",
  ) {}

  inbound(connId: string, text: string): void {
    const frame = this.parse(text);
    if (frame?.type === "req" && typeof frame.id === "string" && typeof frame.method === "string") {
      this.remember(connId, frame.id, frame.method);
    }
    this.write("in", connId, text, frame);
  }

  /** A message sent whole, or in two parts (the shared head of a broadcast and its tail). */
  outbound(connId: string, message: string | Buffer, tail?: Buffer): void {
    const text = tail ? Buffer.concat([Buffer.from(message), tail]).toString() : message.toString();
    this.write("out", connId, text, this.parse(text));
  }

  /** The connection is gone: its unanswered requests are forgotten. */
  forget(connId: string): void {
    this.inFlight.delete(connId);
  }

  private remember(connId: string, id: string, method: string): void {
    let pending = this.inFlight.get(connId);
    if (!pending) this.inFlight.set(connId, (pending = new Map()));
    if (pending.size >= MAX_IN_FLIGHT) pending.delete(pending.keys().next().value as string);
    pending.set(id, { method, at: performance.now() });
  }

  private parse(text: string): FrameFields | null {
    if (text.length > MAX_PARSED_FRAME_BYTES) return null;
    try {
      const value = JSON.parse(text) as unknown;
      return typeof value === "object" && value !== null && !Array.isArray(value)
        ? (value as FrameFields)
        : null;
    } catch {
      return null;
    }
  }

  private write(direction: "in" | "out", connId: string, text: string, frame: FrameFields | null): void {
    const size = formatBytes(Buffer.byteLength(text));
    const parts = [direction, this.summary(direction, connId, frame), size, `conn=${connId.slice(0, 8)}`];
    let line = parts.filter((part) => part !== "").join(" ");
    if (this.style === "full") line += ` ${this.body(text, frame)}`;
    this.log[this.level](line, { connId, direction });
  }

  private summary(direction: "in" | "out", connId: string, frame: FrameFields | null): string {
    if (!frame) return "non-JSON frame";
    const type = clip(frame.type ?? "?", 16);
    // Request ids are often UUIDs: their head is enough to tell requests apart in a trace.
    const id =
      typeof frame.id === "string"
        ? `#${clip(frame.id.length > 12 ? frame.id.slice(0, 8) : frame.id, 12)}`
        : "";
    if (frame.type === "req") return [type, clip(frame.method ?? "?", 64), id].join(" ");
    if (frame.type === "event") {
      const seq = typeof frame.seq === "number" ? `seq=${frame.seq}` : "";
      return [type, clip(frame.event ?? "?", 64), seq].filter(Boolean).join(" ");
    }
    if (frame.type === "res" && direction === "out" && typeof frame.id === "string") {
      const request = this.inFlight.get(connId)?.get(frame.id);
      // A two-stage reply (`agent`) acks first: the request stays open until its final response.
      const accepted = frame.ok === true && frame.payload?.status === "accepted";
      if (request && !accepted) this.inFlight.get(connId)?.delete(frame.id);
      const outcome =
        frame.ok === true ? (accepted ? "accepted" : "ok") : `error ${clip(frame.error?.code ?? "?", 40)}`;
      const took = request ? formatDuration(performance.now() - request.at) : "";
      return [type, request ? clip(request.method, 64) : "", id, outcome, took].filter(Boolean).join(" ");
    }
    return [type, id].filter(Boolean).join(" ");
  }

  private body(text: string, frame: FrameFields | null): string {
    if (!frame) return `(${formatBytes(Buffer.byteLength(text))} not shown)`;
    const json = JSON.stringify(redactForLog(frame));
    return json.length <= MAX_FRAME_TEXT_CHARS
      ? json
      : `${json.slice(0, MAX_FRAME_TEXT_CHARS)}… (+${json.length - MAX_FRAME_TEXT_CHARS} chars)`;
  }
}
