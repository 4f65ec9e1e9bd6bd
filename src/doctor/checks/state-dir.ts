import fs from "node:fs";
import type { DoctorContext } from "../doctor-context.js";
import type { DoctorCheck, DoctorFix, Finding } from "../finding.js";

const ID = "state.dir";

function createStateDir(context: DoctorContext): DoctorFix {
  return {
    description: `Create ${context.stateDir} (mode 0700)`,
    apply: () => {
      fs.mkdirSync(context.stateDir, { recursive: true, mode: 0o700 });
      fs.chmodSync(context.stateDir, 0o700);
      return [`Created ${context.stateDir}`];
    },
  };
}

/** The state dir holds config, state.db, logs and identity: it must exist and be writable. */
export const stateDirCheck: DoctorCheck = {
  id: ID,
  title: "State dir",
  run(context): Finding[] {
    const dir = context.stateDir;
    let stat: fs.Stats;
    try {
      stat = fs.statSync(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
        return [
          {
            id: ID,
            level: "error",
            message: `State dir cannot be read: ${dir}`,
            detail: [(error as Error).message],
          },
        ];
      }
      return [
        {
          id: ID,
          level: "error",
          message: `State dir missing: ${dir}`,
          detail: [`Sessions, logs and state.db live there; ${context.command("setup")} also creates it.`],
          fix: createStateDir(context),
        },
      ];
    }
    if (!stat.isDirectory()) {
      return [
        {
          id: ID,
          level: "error",
          message: `State dir is not a directory: ${dir}`,
          detail: ["Move the file away, or point CODERCLAW_STATE_DIR somewhere else."],
        },
      ];
    }
    try {
      fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
    } catch {
      return [
        {
          id: ID,
          level: "error",
          message: `State dir is not writable: ${dir}`,
          detail: [`Fix the owner or mode: chown "$(id -un)" ${dir} && chmod 700 ${dir}`],
        },
      ];
    }
    return [{ id: ID, level: "ok", message: `State dir OK: ${dir}` }];
  },
};
