import fs from "node:fs";
import path from "node:path";
import { resolveLogDir } from "../config/paths.js";

/** `EROFS: read-only file system` out of Node's `EROFS: read-only file system, access '/x'`. */
function reasonOf(error: unknown): string {
  const message = (error as Error).message ?? String(error);
  return message.split(", ")[0] ?? message;
}

/** Creates `dir` (0700) when missing and proves it writable; the reason when it is not. */
function writableDirProblem(dir: string): string | null {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
    return null;
  } catch (error) {
    return reasonOf(error);
  }
}

/**
 * Checked before anything is written at start: a state dir (or log dir) that cannot be written is one
 * clear line naming the path and what to do, not a stack trace from the first mkdir.
 */
export function stateDirAccessProblem(stateDir: string, logFile: string): string | null {
  const stateProblem = writableDirProblem(stateDir);
  if (stateProblem) {
    return `the state dir ${stateDir} is not writable (${stateProblem}). Make it writable by this user, or set CODERCLAW_STATE_DIR to a writable directory.`;
  }
  const logDir = path.dirname(logFile);
  const logProblem = writableDirProblem(logDir);
  if (!logProblem) return null;
  const hint =
    logDir === resolveLogDir(stateDir)
      ? "Make it writable by this user, or set CODERCLAW_STATE_DIR to a writable directory."
      : "Make it writable by this user, or set logging.file to a writable path.";
  return `the log dir ${logDir} is not writable (${logProblem}). ${hint}`;
}
