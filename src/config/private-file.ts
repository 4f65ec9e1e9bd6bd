import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/**
 * Writes a file that may hold a secret (a token in a unit, a device key): a fresh 0600 temp file in the
 * same directory, renamed over the target, so the content is never readable by others, not even for a
 * moment when an earlier file was 0644, and never half-written. A directory it has to create gets
 * `dirMode` (the state dir's are 0700; a service manager's unit directory keeps the usual mode).
 */
export function writePrivateFile(file: string, content: string, dirMode?: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, ...(dirMode === undefined ? {} : { mode: dirMode }) });
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    fs.writeFileSync(temp, content, { mode: 0o600, flag: "wx" });
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
}
