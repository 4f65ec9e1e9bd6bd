import type { ErrorShape } from "./frames.js";

export const ErrorCodes = {
  INVALID_REQUEST: "INVALID_REQUEST",
  NOT_PAIRED: "NOT_PAIRED",
  UNAVAILABLE: "UNAVAILABLE",
  METHOD_NOT_FOUND: "METHOD_NOT_FOUND",
  INTERNAL_ERROR: "INTERNAL_ERROR",
  NOT_LINKED: "NOT_LINKED",
  AGENT_TIMEOUT: "AGENT_TIMEOUT",
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export interface ErrorShapeOptions {
  details?: unknown;
  retryable?: boolean;
  retryAfterMs?: number;
}

export function errorShape(code: ErrorCode, message: string, opts: ErrorShapeOptions = {}): ErrorShape {
  const shape: ErrorShape = { code, message };
  // Absent options stay absent so the serialized frame carries no `undefined` keys.
  if (opts.details !== undefined) shape.details = opts.details;
  if (opts.retryable !== undefined) shape.retryable = opts.retryable;
  if (opts.retryAfterMs !== undefined) shape.retryAfterMs = opts.retryAfterMs;
  return shape;
}
