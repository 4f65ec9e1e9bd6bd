/** A state value as text, as `coderclaw gateway inspect` prints it: `ready`, `supervising.running`. */
export function formatStateValue(value: unknown): string {
  if (value === null || value === undefined) return "-";
  if (typeof value === "string") return value;
  if (typeof value === "object") {
    return Object.entries(value as Record<string, unknown>)
      .map(([key, child]) => {
        const inner = formatStateValue(child);
        return inner === "-" ? key : `${key}.${inner}`;
      })
      .join(", ");
  }
  return String(value);
}

/** The ids of every active state node (xstate ids: `supervisor.supervising.running`), the machine's root included. */
export function activeStateIds(machineId: string, value: unknown): Set<string> {
  const ids = new Set<string>();
  if (value === null || value === undefined) return ids;
  ids.add(machineId);
  const walk = (prefix: string, current: unknown) => {
    if (typeof current === "string") {
      ids.add(`${prefix}.${current}`);
    } else if (current && typeof current === "object") {
      for (const [key, child] of Object.entries(current as Record<string, unknown>)) {
        ids.add(`${prefix}.${key}`);
        walk(`${prefix}.${key}`, child);
      }
    }
  };
  walk(machineId, value);
  return ids;
}

/** Every path of a state value (`supervising`, `supervising.running`): what a state filter matches against. */
export function statePaths(value: unknown): string[] {
  const ids = activeStateIds("", value);
  return [...ids].filter((id) => id !== "").map((id) => id.slice(1));
}
