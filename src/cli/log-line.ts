/** A gateway log line (winston JSON) split into the parts `coderclaw logs` shows. */
export interface ParsedLogLine {
  time?: string;
  level?: string;
  subsystem?: string;
  message: string;
  /** Any other fields of the record (connId, remote, ...). */
  meta?: Record<string, unknown>;
  raw: string;
}

export interface LogLineStyle {
  /** `pretty`: `HH:MM:SS`; `plain`: full ISO time. */
  mode: "pretty" | "plain";
  color: boolean;
  localTime: boolean;
}

const KNOWN_FIELDS = new Set(["timestamp", "time", "level", "subsystem", "message"]);

/** The record in `raw`, or null when it is not a JSON object (shown as a raw line). */
export function parseLogLine(raw: string): ParsedLogLine | null {
  let record: unknown;
  try {
    record = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof record !== "object" || record === null || Array.isArray(record)) return null;
  const fields = record as Record<string, unknown>;
  const text = (key: string) => (typeof fields[key] === "string" ? (fields[key] as string) : undefined);
  const meta = Object.fromEntries(Object.entries(fields).filter(([key]) => !KNOWN_FIELDS.has(key)));
  const message = fields.message;
  return {
    time: text("timestamp") ?? text("time"),
    level: text("level"),
    subsystem: text("subsystem"),
    message: typeof message === "string" ? message : message === undefined ? "" : JSON.stringify(message),
    ...(Object.keys(meta).length > 0 ? { meta } : {}),
    raw,
  };
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

function localIso(date: Date): string {
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  const abs = Math.abs(offset);
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

export function formatLogTime(value: string | undefined, style: LogLineStyle): string | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  if (style.mode === "pretty") {
    return style.localTime ? localIso(date).slice(11, 19) : date.toISOString().slice(11, 19);
  }
  return style.localTime ? localIso(date) : date.toISOString();
}

const ANSI = { red: 31, yellow: 33, green: 32, gray: 90, cyan: 36 } as const;
const LEVEL_COLORS: Record<string, keyof typeof ANSI> = {
  error: "red",
  warn: "yellow",
  info: "green",
  debug: "gray",
  trace: "gray",
};

const paint = (text: string, color: keyof typeof ANSI | undefined, enabled: boolean) =>
  enabled && color ? `\x1b[${ANSI[color]}m${text}\x1b[39m` : text;

/** `HH:MM:SS level subsystem message` (pretty) or `<ISO time> level subsystem message` (plain). */
export function formatLogLine(line: ParsedLogLine, style: LogLineStyle): string {
  const time = formatLogTime(line.time, style);
  const level = line.level ? paint(line.level, LEVEL_COLORS[line.level], style.color) : undefined;
  const subsystem = line.subsystem ? paint(line.subsystem, "cyan", style.color) : undefined;
  return [time ? paint(time, "gray", style.color) : undefined, level, subsystem, line.message]
    .filter((part) => part !== undefined && part !== "")
    .join(" ");
}
