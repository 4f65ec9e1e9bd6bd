import fs from "node:fs";
import { readLogTail, type LogTail } from "../log/log-file-tail.js";
import type { GatewayClient } from "./gateway-client.js";
import { GatewayClosedError, GatewayRequestError } from "./gateway-errors.js";
import { tailLogs, type LogTailParams } from "./log-tail.js";
import { isTransientConnectError, lossNotice, pause, reconnect, watchLoss } from "./reconnect.js";

export interface LogFollowOptions {
  /** One connection attempt to the gateway (the target is resolved again for each). */
  connect(): Promise<GatewayClient>;
  /** The gateway's log file on this machine, read while the gateway is down; null for a remote gateway. */
  localFile: string | null;
  /** The gateway's address, for the notices. */
  target: string;
  follow: boolean;
  limit: number;
  maxBytes: number;
  intervalMs: number;
  timeoutMs: number;
  /** Ends the tail quietly (Ctrl-C, SIGTERM, closed output). */
  signal: AbortSignal;
}

export interface LogFollowSink {
  page(page: LogTail): void;
  /** One line about the tail itself (the gateway went away, the file is read directly). */
  notice(line: string): void;
}

/**
 * `coderclaw logs [--follow]`: pages of the gateway's log over `logs.tail`. When the gateway is down,
 * the log file is read directly (once, or with `--follow` until the gateway is back); when it restarts
 * or goes away mid-follow, one notice, then reconnects with backoff and resumes from the same cursor.
 * Throws when there is nothing to show (no gateway and no log file) or the gateway refuses the CLI.
 */
export async function followLogs(options: LogFollowOptions, sink: LogFollowSink): Promise<void> {
  const { signal } = options;
  /** Where the last page of `file` ended: the next page, from whichever source, starts there. */
  let position: { file: string; cursor: number } | null = null;
  const show = (page: LogTail) => {
    position = { file: page.file, cursor: page.cursor };
    sink.page(page);
  };
  const cursorFor = (file: string) => (position?.file === file ? position.cursor : undefined);
  const fileToRead = () => (options.localFile === null ? null : (position?.file ?? options.localFile));

  const readFile = async (file: string) => {
    const page = await readLogTail(file, {
      cursor: cursorFor(file),
      limit: options.limit,
      maxBytes: options.maxBytes,
    });
    if (!signal.aborted) show(page);
  };
  /** While the gateway is away: the file, every interval, for `ms`. */
  const tailFileFor = async (ms: number) => {
    const file = fileToRead();
    if (file === null) return pause(ms, signal);
    const until = Date.now() + ms;
    do {
      await readFile(file);
      await pause(Math.max(0, Math.min(options.intervalMs, until - Date.now())), signal);
    } while (Date.now() < until && !signal.aborted);
  };
  const awayThen = () => {
    const file = fileToRead();
    return file ? `following ${file} until it is back.` : "reconnecting when it is back.";
  };

  let client: GatewayClient | null = null;
  // Stopping cuts a request in flight short instead of waiting for its answer or timeout.
  const closeOnStop = () => void client?.close();
  signal.addEventListener("abort", closeOnStop, { once: true });
  try {
    await follow();
  } finally {
    signal.removeEventListener("abort", closeOnStop);
  }

  async function follow(): Promise<void> {
    try {
      client = await options.connect();
    } catch (error) {
      const file = options.localFile;
      if (!isTransientConnectError(error) || file === null || !fs.existsSync(file)) throw error;
      sink.notice(
        `Gateway not reachable at ${options.target}; ${options.follow ? awayThen() : "reading its log file directly."}`,
      );
      await readFile(file);
      if (!options.follow) return;
      client = await reconnect(options.connect, { signal, meanwhile: tailFileFor });
    }
    while (client !== null) {
      const loss = watchLoss(client);
      try {
        await tailOver(client, options, position, show);
      } finally {
        await client.close();
      }
      if (!options.follow || signal.aborted) return;
      sink.notice(lossNotice(await loss, awayThen()));
      client = await reconnect(options.connect, { signal, meanwhile: tailFileFor });
    }
  }
}

/** Pages over one connection until it drops (returns) or the tail ends; other failures throw. */
async function tailOver(
  client: GatewayClient,
  options: LogFollowOptions,
  position: { file: string; cursor: number } | null,
  show: (page: LogTail) => void,
): Promise<void> {
  const dropped = new AbortController();
  let closed: GatewayClosedError | null = null;
  client.on("close", (code, reason) => {
    closed ??= new GatewayClosedError(code, reason, "");
    dropped.abort();
  });
  let expectedFile = position?.file ?? null;
  const request = (params: LogTailParams) =>
    client.request<LogTail>("logs.tail", params, { timeoutMs: options.timeoutMs });
  const fetchPage = async (params: LogTailParams) => {
    if (closed) throw closed;
    let page = await request(params);
    // A restart may have moved the log (logging.file): a cursor into the old file means nothing there.
    if (params.cursor !== undefined && expectedFile !== null && page.file !== expectedFile) {
      page = await request({ ...params, cursor: undefined });
    }
    expectedFile = page.file;
    return page;
  };
  try {
    for await (const page of tailLogs(fetchPage, {
      cursor: position?.cursor,
      limit: options.limit,
      maxBytes: options.maxBytes,
      follow: options.follow,
      intervalMs: options.intervalMs,
      signal: options.signal,
      wake: dropped.signal,
    })) {
      show(page);
    }
  } catch (error) {
    // Anything but the gateway's own answer is the connection failing (it may not have reported its close
    // yet): the caller closes it and reconnects.
    if (options.follow && !(error instanceof GatewayRequestError)) return;
    throw error;
  }
}
