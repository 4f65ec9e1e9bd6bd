import { errorShape, type ErrorCode, type ErrorShapeOptions } from "./error-codes.js";
import type { ErrorShape } from "./frames.js";

/** An error thrown on purpose (by a method, a run, an HTTP endpoint); its code and message reach the client as they are. */
export class GatewayError extends Error {
  readonly shape: ErrorShape;
  constructor(code: ErrorCode, message: string, options: ErrorShapeOptions = {}) {
    super(message);
    this.shape = errorShape(code, message, options);
  }
}
