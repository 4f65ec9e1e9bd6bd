import type { LogTail } from "../log/log-file-tail.js";

export interface LogTailParams {
  cursor?: number;
  limit: number;
  maxBytes: number;
}

export interface LogTailOptions {
  /** Where the previous tail of the same file left off (after a reconnect); its last bytes otherwise. */
  cursor?: number;
  limit: number;
  maxBytes: number;
  /** Keep polling with the returned cursor. */
  follow: boolean;
  intervalMs: number;
  /** Ends the tail quietly (Ctrl-C, closed output). */
  signal: AbortSignal;
  /** Cuts a pause short without ending the tail (the connection dropped: the next fetch reports it). */
  wake?: AbortSignal;
}

function pause(ms: number, signals: AbortSignal[]): Promise<void> {
  return new Promise((resolve) => {
    if (signals.some((signal) => signal.aborted)) return resolve();
    const done = () => {
      clearTimeout(timer);
      signals.forEach((signal) => signal.removeEventListener("abort", done));
      resolve();
    };
    const timer = setTimeout(done, ms);
    signals.forEach((signal) => signal.addEventListener("abort", done, { once: true }));
  });
}

/**
 * The `coderclaw logs` loop: `logs.tail {cursor, limit, maxBytes}`, then (with `follow`) a pause
 * and the next call from the returned cursor, until `signal` aborts. A failed fetch throws.
 */
export async function* tailLogs(
  fetchPage: (params: LogTailParams) => Promise<LogTail>,
  options: LogTailOptions,
): AsyncGenerator<LogTail> {
  let cursor = options.cursor;
  while (!options.signal.aborted) {
    const page = await fetchPage({ cursor, limit: options.limit, maxBytes: options.maxBytes });
    if (options.signal.aborted) return;
    yield page;
    cursor = page.cursor;
    if (!options.follow) return;
    await pause(options.intervalMs, options.wake ? [options.signal, options.wake] : [options.signal]);
  }
}
