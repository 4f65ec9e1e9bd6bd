/**
 * Keys that would reach an object prototype when assigned (`obj.__proto__ = …`, `obj.constructor.prototype`).
 * No config key has these names, so every write path and every file read refuses them.
 */
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

export const FORBIDDEN_KEY_MESSAGE = "__proto__, constructor and prototype cannot be config keys";

export function isForbiddenKey(key: string): boolean {
  return FORBIDDEN_KEYS.has(key);
}

/** True when a segment of the dotted `keyPath` is a forbidden key. */
export function pathHasForbiddenKey(keyPath: string): boolean {
  return keyPath.split(".").some(isForbiddenKey);
}

/** The dotted path of the first forbidden key inside `value` (own keys, any depth), or null. */
export function forbiddenKeyPath(value: unknown, prefix = ""): string | null {
  if (typeof value !== "object" || value === null) return null;
  const entries = Array.isArray(value)
    ? value.map((item, index) => [String(index), item] as const)
    : Object.entries(value);
  for (const [key, child] of entries) {
    const keyPath = prefix ? `${prefix}.${key}` : key;
    if (isForbiddenKey(key)) return keyPath;
    const inner = forbiddenKeyPath(child, keyPath);
    if (inner !== null) return inner;
  }
  return null;
}
