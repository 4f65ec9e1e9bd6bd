function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function sameArray(a: unknown[], b: unknown[]): boolean {
  return a.length === b.length && a.every((item, index) => JSON.stringify(item) === JSON.stringify(b[index]));
}

/**
 * Dotted paths of the leaves that differ between two configs. Arrays compare as a whole (a change
 * reports the array's own path); a type change reports the path where the types diverge.
 */
export function diffConfigPaths(previous: unknown, next: unknown, prefix = ""): string[] {
  if (isPlainObject(previous) && isPlainObject(next)) {
    const keys = new Set([...Object.keys(previous), ...Object.keys(next)]);
    return [...keys].flatMap((key) =>
      diffConfigPaths(previous[key], next[key], prefix ? `${prefix}.${key}` : key),
    );
  }
  if (Array.isArray(previous) && Array.isArray(next))
    return sameArray(previous, next) ? [] : [prefix || "<root>"];
  return Object.is(previous, next) ? [] : [prefix || "<root>"];
}
