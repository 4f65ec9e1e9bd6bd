import { SENSITIVE_PATHS } from "./schema.js";
import { getAtPath, setAtPath } from "./write.js";

export const REDACTED = "__CODERCLAW_REDACTED__";

/** A copy with every sensitive value that is set replaced by a marker (for config.get, status, logs). */
export function redactConfig<T extends object>(config: T): T {
  let result = config as unknown as Record<string, unknown>;
  for (const sensitivePath of SENSITIVE_PATHS) {
    const value = getAtPath(result, sensitivePath);
    if (typeof value === "string" && value !== "") result = setAtPath(result, sensitivePath, REDACTED);
  }
  return result as unknown as T;
}
