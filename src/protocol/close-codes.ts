export const CloseCodes = {
  NORMAL: 1000,
  PROTOCOL_ERROR: 1002,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  SERVICE_RESTART: 1012,
  TRY_AGAIN_LATER: 1013,
  TICK_TIMEOUT: 4000,
} as const;

export type CloseCode = (typeof CloseCodes)[keyof typeof CloseCodes];

const CLOSE_CODE_HINTS: ReadonlyMap<number, string> = new Map([
  [1000, "normal closure"],
  [1006, "abnormal closure (no close frame)"],
  [1008, "policy violation"],
  [1009, "message too big"],
  [1012, "service restart"],
  [1013, "try again later"],
  [4000, "tick timeout"],
]);

export function describeCloseCode(code: number): string {
  return CLOSE_CODE_HINTS.get(code) ?? "";
}

export const MAX_CLOSE_REASON_BYTES = 120;

/** Cuts `reason` to at most `maxBytes` of UTF-8 without splitting a character. */
export function truncateCloseReason(reason: string, maxBytes = MAX_CLOSE_REASON_BYTES): string {
  if (Buffer.byteLength(reason, "utf8") <= maxBytes) return reason;
  const bytes = Buffer.from(reason, "utf8");
  let end = Math.max(0, maxBytes);
  // A continuation byte (10xxxxxx) at the cut means the character started before it: back off to its start.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return bytes.toString("utf8", 0, end);
}
