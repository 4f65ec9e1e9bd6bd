/** Edits (insert, delete, substitute, swap two neighbours) that turn `a` into `b`. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      }
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}

/** `gateway:status` → `gateway status`: commands are typed with spaces. */
export const spacedCommand = (id: string): string => id.split(":").join(" ");

/**
 * The known command closest to what was typed (`gateway statsu` → `gateway status`), or null when
 * nothing is close: at most a third of the typed length in edits, and never more than 3.
 */
export function suggestCommand(typed: string, knownIds: readonly string[]): string | null {
  const wanted = spacedCommand(typed);
  const limit = Math.min(3, Math.max(1, Math.floor(wanted.length / 3)));
  let best: { id: string; distance: number } | null = null;
  for (const id of knownIds) {
    const distance = editDistance(wanted, spacedCommand(id));
    if (distance <= limit && (best === null || distance < best.distance)) best = { id, distance };
  }
  return best ? spacedCommand(best.id) : null;
}
