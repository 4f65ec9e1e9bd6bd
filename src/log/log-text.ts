/** Keys whose values never reach a log line, at any depth of a logged object. */
const SECRET_KEY = /token|password|secret|signature|authorization|api[-_]?key|cookie|credential/i;
export const MASK = "***";

const MAX_DEPTH = 8;
const MAX_ARRAY_ITEMS = 50;
const MAX_OBJECT_KEYS = 100;
const MAX_STRING_CHARS = 512;

/**
 * A client-supplied string made safe for one log line: control characters (newlines that would
 * forge a line, terminal escapes) replaced, and at most `max` characters kept.
 */
export function clip(value: unknown, max = 80): string {
  const text = typeof value === "string" ? value : String(value);
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
  return clean.length <= max ? clean : `${clean.slice(0, max)}… (+${clean.length - max} chars)`;
}

/**
 * A copy of `value` fit for a log: secret-named keys masked, strings, arrays and objects cut to a
 * bounded size, nesting limited. Keys are copied into null-prototype objects.
 */
export function redactForLog(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return clip(value, MAX_STRING_CHARS);
  if (value === null || typeof value !== "object") return value;
  if (depth >= MAX_DEPTH) return Array.isArray(value) ? "[…]" : "{…}";
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ARRAY_ITEMS).map((item) => redactForLog(item, depth + 1));
    if (value.length > MAX_ARRAY_ITEMS) items.push(`… (+${value.length - MAX_ARRAY_ITEMS} items)`);
    return items;
  }
  const copy: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  const keys = Object.keys(value);
  for (const key of keys.slice(0, MAX_OBJECT_KEYS)) {
    const item = (value as Record<string, unknown>)[key];
    copy[key] =
      SECRET_KEY.test(key) && item !== undefined && item !== null ? MASK : redactForLog(item, depth + 1);
  }
  if (keys.length > MAX_OBJECT_KEYS) copy["…"] = `+${keys.length - MAX_OBJECT_KEYS} keys`;
  return copy;
}

/** `812 B`, `2.1 KiB`, `3.4 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** `850ms`, `2.3s`, `4m05s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const seconds = Math.floor(ms / 1000);
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, "0")}s`;
}
