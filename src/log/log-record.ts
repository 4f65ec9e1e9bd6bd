/** How a winston record is written: one JSON line in the file, one human line on the console. */

/** Meta key of a record meant for the file alone: the console has already said it in its own words. */
export const FILE_ONLY = "fileOnly";

type Record_ = Record<string | symbol, unknown>;

const withoutFileOnly = (key: string, value: unknown) => (key === FILE_ONLY ? undefined : value);

/**
 * The record as one JSON line (string keys only; winston's own keys are symbols). Meta that plain
 * JSON cannot hold (a cycle, a BigInt) is written in a safe form instead of losing the line.
 */
export function jsonLine(info: Record_): string {
  const replacer = info[FILE_ONLY] === undefined ? undefined : withoutFileOnly;
  try {
    return `${JSON.stringify(info, replacer)}\n`;
  } catch {
    return `${JSON.stringify(info, safeReplacer())}\n`;
  }
}

function safeReplacer() {
  const ancestors: unknown[] = [];
  return function (this: unknown, key: string, value: unknown): unknown {
    if (key === FILE_ONLY) return undefined;
    if (typeof value === "bigint") return value.toString();
    if (typeof value !== "object" || value === null) return value;
    // `this` is the object holding `value`: drop the ancestors we have left behind.
    while (ancestors.length > 0 && ancestors[ancestors.length - 1] !== this) ancestors.pop();
    if (ancestors.includes(value)) return "[Circular]";
    ancestors.push(value);
    return value;
  };
}

/** `HH:MM:SS` local time of an ISO timestamp, remembered for the second it names. */
let lastSecond = "";
let lastClock = "";
function clockOf(timestamp: unknown): string {
  const iso = typeof timestamp === "string" ? timestamp : new Date().toISOString();
  const second = iso.slice(0, 19);
  if (second !== lastSecond) {
    lastSecond = second;
    lastClock = new Date(iso).toTimeString().slice(0, 8);
  }
  return lastClock;
}

/** `HH:MM:SS [subsystem] level: message`, the level left out at info. */
export function consoleLine(info: Record_): string {
  const subsystem = info.subsystem ? `[${String(info.subsystem)}] ` : "";
  const level = info.level === "info" ? "" : `${String(info.level)}: `;
  return `${clockOf(info.timestamp)} ${subsystem}${level}${String(info.message)}\n`;
}
