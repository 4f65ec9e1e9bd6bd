import fs from "node:fs";

/** `2026-03-21T10-15-00-123Z`: sortable and safe in file names. */
export function fileTimestamp(date: Date = new Date()): string {
  return date.toISOString().replace(/[:.]/g, "-");
}

/**
 * Renames `file` to `<file>.<tag>-<timestamp>` and each existing `<file><suffix>` companion
 * (SQLite's `-wal`, `-shm`) to the same name plus its suffix, so they stay together. Returns the
 * new path of `file`.
 */
export function moveAside(file: string, tag: string, companionSuffixes: readonly string[] = []): string {
  const aside = `${file}.${tag}-${fileTimestamp()}`;
  fs.renameSync(file, aside);
  for (const suffix of companionSuffixes) {
    if (fs.existsSync(`${file}${suffix}`)) fs.renameSync(`${file}${suffix}`, `${aside}${suffix}`);
  }
  return aside;
}
