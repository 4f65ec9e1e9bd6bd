import fs from "node:fs";
import path from "node:path";
import { resolveLogDir } from "../../config/paths.js";
import type { DoctorContext } from "../doctor-context.js";
import type { DoctorCheck, DoctorFix, Finding } from "../finding.js";

const ID = "state.modes";
const PRIVATE_DIR = 0o700;
const PRIVATE_FILE = 0o600;

interface LooseEntry {
  file: string;
  mode: number;
  wanted: number;
}

const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;

/** The files and dirs that hold secrets, sessions and logs: the state dir, config, state.db, logs. */
function privateEntries(context: DoctorContext): string[] {
  const stateDir = context.stateDir;
  const logDir = resolveLogDir(stateDir);
  const db = path.join(stateDir, "state.db");
  const entries = [
    stateDir,
    context.configPath,
    `${context.configPath}.bak`,
    db,
    `${db}-wal`,
    `${db}-shm`,
    logDir,
  ];
  try {
    entries.push(...fs.readdirSync(logDir).map((name) => path.join(logDir, name)));
  } catch {
    // No logs yet.
  }
  return entries;
}

/** Entries readable, writable or searchable by group or others (symlinks and the missing skipped). */
function looseEntries(context: DoctorContext): LooseEntry[] {
  const loose: LooseEntry[] = [];
  for (const file of new Set(privateEntries(context))) {
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(file);
    } catch {
      continue;
    }
    if (!stat.isFile() && !stat.isDirectory()) continue;
    if ((stat.mode & 0o077) === 0) continue;
    loose.push({ file, mode: stat.mode & 0o777, wanted: stat.isDirectory() ? PRIVATE_DIR : PRIVATE_FILE });
  }
  return loose;
}

function tighten(loose: LooseEntry[]): DoctorFix {
  return {
    description: `Restrict ${loose.length} path(s) to their owner (files 0600, dirs 0700)`,
    apply: () =>
      loose.map(({ file, mode, wanted }) => {
        fs.chmodSync(file, wanted);
        return `${file}: ${octal(mode)} → ${octal(wanted)}`;
      }),
  };
}

/** The state dir holds tokens, transcripts and logs: nobody but its owner may read any of it. */
export const fileModesCheck: DoctorCheck = {
  id: ID,
  title: "State file permissions",
  run(context): Finding[] {
    if (!fs.existsSync(context.stateDir)) return [];
    const loose = looseEntries(context);
    if (loose.length === 0) {
      return [{ id: ID, level: "ok", message: "State files are private (files 0600, dirs 0700)" }];
    }
    return [
      {
        id: ID,
        level: "warn",
        message: `${loose.length} state path(s) can be read by group or others`,
        detail: loose.map(({ file, mode, wanted }) => `${file} is ${octal(mode)} (want ${octal(wanted)})`),
        fix: tighten(loose),
      },
    ];
  },
};
