import fs from "node:fs/promises";

/** A tail of the log file: what `logs.tail` answers (REFERENCE §1.11), and what `logs` reads itself without a gateway. */
export interface LogTail {
  file: string;
  cursor: number;
  size: number;
  lines: string[];
  truncated: boolean;
  reset: boolean;
}

/** Reads the log file from `cursor` (or its last `maxBytes`), whole lines only. */
export async function readLogTail(
  file: string,
  options: { cursor?: number; limit: number; maxBytes: number },
): Promise<LogTail> {
  let size: number;
  try {
    size = (await fs.stat(file)).size;
  } catch {
    return { file, cursor: 0, size: 0, lines: [], truncated: false, reset: false };
  }
  let start: number;
  let reset = false;
  let truncated = false;
  if (options.cursor === undefined) {
    start = Math.max(0, size - options.maxBytes);
    truncated = start > 0;
  } else if (options.cursor > size) {
    reset = true;
    start = Math.max(0, size - options.maxBytes);
    truncated = start > 0;
  } else if (size - options.cursor > options.maxBytes) {
    reset = true;
    truncated = true;
    start = size - options.maxBytes;
  } else {
    start = options.cursor;
  }
  const length = size - start;
  const buffer = Buffer.alloc(length);
  if (length > 0) {
    const handle = await fs.open(file, "r");
    try {
      await handle.read(buffer, 0, length, start);
    } finally {
      await handle.close();
    }
  }
  // A line still being written is left for the next read: the cursor stops after the last whole line.
  const complete = buffer.lastIndexOf(0x0a) + 1;
  let lines = complete === 0 ? [] : buffer.toString("utf8", 0, complete - 1).split("\n");
  // A read that starts mid-file may begin inside a line; that fragment is not a line.
  if (start > 0 && start !== options.cursor) lines = lines.slice(1);
  if (lines.length > options.limit) lines = lines.slice(-options.limit);
  return { file, cursor: start + complete, size, lines, truncated, reset };
}
