import { describeCloseCode } from "../protocol/index.js";
import type { GatewayClient } from "./gateway-client.js";
import { GatewayRequestError } from "./gateway-errors.js";

/** A follower retries after 250 ms, then doubles the wait up to 5 s until the gateway is back. */
export const RECONNECT_FIRST_MS = 250;
export const RECONNECT_MAX_MS = 5_000;

export class ReconnectBackoff {
  private nextMs = RECONNECT_FIRST_MS;

  next(): number {
    const wait = this.nextMs;
    this.nextMs = Math.min(this.nextMs * 2, RECONNECT_MAX_MS);
    return wait;
  }

  reset(): void {
    this.nextMs = RECONNECT_FIRST_MS;
  }
}

/** How a followed connection ended. */
export interface GatewayLoss {
  code: number;
  reason: string;
  /** The gateway said (`shutdown` event) it is restarting, not stopping. */
  restarting: boolean;
}

/** Resolves when `client`'s connection ends, with what the gateway said about it on the way out. */
export function watchLoss(client: GatewayClient): Promise<GatewayLoss> {
  let shutdown: { restartExpectedMs?: unknown } | null = null;
  client.on("event", (frame) => {
    if (frame.event === "shutdown") shutdown = (frame.payload ?? {}) as typeof shutdown;
  });
  return new Promise((resolve) =>
    client.once("close", (code, reason) => {
      const said = shutdown as { restartExpectedMs?: unknown } | null;
      resolve({
        code,
        reason,
        // Without a `shutdown` event, 1012 (service restart) is the only word on it.
        restarting: said ? typeof said.restartExpectedMs === "number" : code === 1012,
      });
    }),
  );
}

/** The one line a follower prints when its gateway goes: restarting, or gone (and why). */
export function lossNotice(loss: GatewayLoss, then: string): string {
  if (loss.restarting) return `Gateway restarting; ${then}`;
  const hint = describeCloseCode(loss.code);
  const reason = loss.reason ? `: ${loss.reason}` : "";
  return `Gateway went away (${loss.code}${hint ? ` ${hint}` : ""}${reason}); ${then}`;
}

/**
 * A connect failure worth retrying while the gateway restarts or is down: nothing listening, a closed
 * or timed-out handshake, a gateway still starting. A refusal (bad token, missing scope) is not.
 */
export function isTransientConnectError(error: unknown): boolean {
  if (error instanceof GatewayRequestError) return error.shape.retryable === true;
  return true;
}

/** Waits `ms`, or less when `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * Connects again and again, with backoff, until it works (the client), `signal` aborts (null), or the
 * gateway refuses for good (throws). `meanwhile(ms)` fills each wait (a follower may read a file).
 */
export async function reconnect(
  connect: () => Promise<GatewayClient>,
  options: { signal: AbortSignal; meanwhile?: (ms: number) => Promise<void> },
): Promise<GatewayClient | null> {
  const backoff = new ReconnectBackoff();
  const wait = options.meanwhile ?? ((ms: number) => pause(ms, options.signal));
  while (!options.signal.aborted) {
    await wait(backoff.next());
    if (options.signal.aborted) return null;
    try {
      return await connect();
    } catch (error) {
      if (!isTransientConnectError(error)) throw error;
    }
  }
  return null;
}
