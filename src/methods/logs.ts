import fs from "node:fs/promises";
import { Type } from "@sinclair/typebox";
import { defineMethod } from "./method-spec.js";

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
  let lines = buffer.toString("utf8").split("\n");
  // A read that starts mid-file may begin inside a line; that fragment is not a line.
  if (start > 0 && start !== options.cursor) lines = lines.slice(1);
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  if (lines.length > options.limit) lines = lines.slice(-options.limit);
  return { file, cursor: size, size, lines, truncated, reset };
}

export const logsTailMethod = defineMethod({
  name: "logs.tail",
  scope: "read",
  summary: "Lines of the gateway log file after `cursor` (JSON lines), with the next cursor.",
  params: Type.Object(
    {
      cursor: Type.Optional(Type.Integer({ minimum: 0 })),
      limit: Type.Optional(Type.Integer({ minimum: 1 })),
      maxBytes: Type.Optional(Type.Integer({ minimum: 1 })),
    },
    { additionalProperties: false },
  ),
  handler: (params, { gateway }) =>
    readLogTail(gateway.logFile, {
      cursor: params.cursor,
      limit: Math.min(params.limit ?? 500, 5000),
      maxBytes: Math.min(params.maxBytes ?? 250_000, 1_000_000),
    }),
});
