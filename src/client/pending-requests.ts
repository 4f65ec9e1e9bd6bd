import type { ErrorShape } from "../protocol/index.js";
import { GatewayRequestError } from "./gateway-errors.js";

interface Pending {
  resolve(payload: unknown): void;
  reject(error: Error): void;
  expectFinal: boolean;
  timer: NodeJS.Timeout | null;
}

/** A `res` frame as the client reads it. */
export interface ResponseFrameIn {
  id: string;
  ok?: boolean;
  payload?: unknown;
  error?: ErrorShape;
}

/**
 * Requests sent and not answered yet: each settles on its final response (with `expectFinal`, an
 * `accepted` ack is not final), on its own timeout, or when the connection closes.
 */
export class PendingRequests {
  private readonly pending = new Map<string, Pending>();

  /** Tracks request `id`, then `send`s it; resolves with the final response's payload. */
  track<T>(
    id: string,
    method: string,
    options: { timeoutMs?: number; expectFinal?: boolean },
    send: () => void,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? 10_000;
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              this.pending.delete(id);
              reject(new Error(`gateway timeout after ${timeoutMs}ms (${method})`));
            }, timeoutMs)
          : null;
      this.pending.set(id, {
        resolve: resolve as (p: unknown) => void,
        reject,
        expectFinal: Boolean(options.expectFinal),
        timer,
      });
      send();
    });
  }

  /** Settles the request a response answers; a response to nothing pending is dropped. */
  settle(frame: ResponseFrameIn): void {
    const pending = this.pending.get(frame.id);
    if (!pending) return;
    const status = (frame.payload as { status?: unknown } | undefined)?.status;
    if (frame.ok && pending.expectFinal && status === "accepted") return;
    this.pending.delete(frame.id);
    if (pending.timer) clearTimeout(pending.timer);
    if (frame.ok) pending.resolve(frame.payload);
    else pending.reject(new GatewayRequestError(frame.error as ErrorShape));
  }

  /** The connection closed: every request still waiting fails with `error`. */
  rejectAll(error: Error): void {
    for (const pending of this.pending.values()) {
      if (pending.timer) clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pending.clear();
  }
}
