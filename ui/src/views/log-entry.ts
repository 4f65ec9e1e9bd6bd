export interface LogEntry {
  level: string;
  time: string;
  subsystem: string;
  message: string;
  raw: string;
}

/** One line of the gateway's JSON log file; anything else is shown as it is. */
export function parseLogLine(raw: string): LogEntry {
  try {
    const record = JSON.parse(raw) as Record<string, unknown>;
    const timestamp = typeof record.timestamp === "string" ? record.timestamp : "";
    return {
      level: typeof record.level === "string" ? record.level : "info",
      time: timestamp.length >= 19 ? timestamp.slice(11, 19) : timestamp,
      subsystem: typeof record.subsystem === "string" ? record.subsystem : "",
      message: typeof record.message === "string" ? record.message : raw,
      raw,
    };
  } catch {
    return { level: "info", time: "", subsystem: "", message: raw, raw };
  }
}

export const LOG_LEVELS = ["error", "warn", "info", "debug", "trace"] as const;
