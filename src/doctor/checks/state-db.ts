import fs from "node:fs";
import path from "node:path";
import { readInstanceLock } from "../../host/instance-lock.js";
import { pidAlive } from "../../service/readiness.js";
import { StateStore } from "../../store/state-store.js";
import type { DoctorContext } from "../doctor-context.js";
import type { DoctorCheck, DoctorFix, Finding } from "../finding.js";
import { moveAside } from "../move-aside.js";

const ID = "state.db";
const CORRUPT = /not a database|malformed|corrupt/i;

type Integrity =
  { kind: "ok" } | { kind: "uninitialised" } | { kind: "corrupt" | "unreadable"; problems: string[] };

/** The SQLite reason inside a StoreError (which also says to run doctor: pointless here). */
function reason(error: unknown): string {
  const message = (error as Error).message;
  return /is unusable: (.*)\. Run `/.exec(message)?.[1] ?? message;
}

/** `PRAGMA integrity_check` through a read-only connection (safe while a gateway writes). */
function checkIntegrity(file: string): Integrity {
  let store: StateStore;
  try {
    store = StateStore.openReadOnly(file);
  } catch (error) {
    const message = reason(error);
    // An empty file is a database without tables: the gateway migrates it on start.
    if (/no such table/i.test(message)) return { kind: "uninitialised" };
    return { kind: CORRUPT.test(message) ? "corrupt" : "unreadable", problems: [message] };
  }
  try {
    const rows = store.integrityCheck();
    if (rows.length === 1 && rows[0] === "ok") return { kind: "ok" };
    // SQLite puts several findings in one row, under a "*** in database main ***" heading.
    const problems = rows
      .flatMap((row) => row.split("\n"))
      .filter((line) => line && !line.startsWith("*** "));
    return { kind: "corrupt", problems: problems.slice(0, 5) };
  } catch (error) {
    const message = (error as Error).message;
    return { kind: CORRUPT.test(message) ? "corrupt" : "unreadable", problems: [message] };
  } finally {
    store.close();
  }
}

function moveCorruptAside(context: DoctorContext, file: string): DoctorFix {
  return {
    description: `Move ${file} aside to ${path.basename(file)}.corrupt-<timestamp> so the gateway starts with a fresh store`,
    apply: async () => {
      const lock = await readInstanceLock(context.configPath);
      if (lock && pidAlive(lock.pid)) {
        throw new Error(
          `a gateway is running (pid ${lock.pid}) with this config; stop it first (${context.command("gateway stop")})`,
        );
      }
      // The WAL and shared-memory files belong to the old database; a fresh one must not replay them.
      const aside = moveAside(file, "corrupt", ["-wal", "-shm"]);
      return [`Moved ${file} to ${aside}`, "The gateway creates a fresh state.db on its next start."];
    },
  };
}

/** state.db must pass SQLite's integrity check; a corrupt file is set aside, never deleted. */
export const stateDbCheck: DoctorCheck = {
  id: ID,
  title: "State database",
  run(context): Finding[] {
    const file = path.join(context.stateDir, "state.db");
    if (!fs.existsSync(file)) {
      if (!fs.existsSync(context.stateDir)) return [];
      return [
        { id: ID, level: "ok", message: `state.db not created yet (the gateway creates ${file} on start)` },
      ];
    }
    const integrity = checkIntegrity(file);
    if (integrity.kind === "ok") return [{ id: ID, level: "ok", message: `state.db integrity ok: ${file}` }];
    if (integrity.kind === "uninitialised") {
      return [
        { id: ID, level: "ok", message: `state.db is empty (the gateway initialises ${file} on start)` },
      ];
    }
    if (integrity.kind === "unreadable") {
      return [
        {
          id: ID,
          level: "error",
          message: `state.db cannot be read: ${file}`,
          detail: integrity.problems.map((problem) => `- ${problem}`),
        },
      ];
    }
    return [
      {
        id: ID,
        level: "error",
        message: `state.db is corrupt: ${file}`,
        detail: integrity.problems.map((problem) => `- ${problem}`),
        fix: moveCorruptAside(context, file),
      },
    ];
  },
};
