import fs from "node:fs";
import type { ConfigIssue } from "../../config/config-issue.js";
import { readConfigSnapshot } from "../../config/load.js";
import type { DoctorContext } from "../doctor-context.js";
import type { DoctorCheck, Finding } from "../finding.js";
import { moveAside } from "../move-aside.js";

const ID = "config.valid";

export function issueLines(issues: ConfigIssue[]): string[] {
  return issues.map((issue) => `- ${issue.path || "<root>"}: ${issue.message}`);
}

function restoreFromBackup(context: DoctorContext, backupPath: string): string[] {
  if (!readConfigSnapshot(backupPath).valid) throw new Error(`${backupPath} is no longer a valid config`);
  const brokenPath = moveAside(context.configPath, "broken");
  fs.copyFileSync(backupPath, context.configPath);
  context.reloadConfig();
  return [`Restored ${context.configPath} from ${backupPath}`, `Broken file kept at ${brokenPath}`];
}

/** REFERENCE §1.1 config guard wording; repair = the last good config from `<config>.bak`. */
export const configValidCheck: DoctorCheck = {
  id: ID,
  title: "Config",
  run(context): Finding[] {
    const snapshot = context.snapshot;
    if (!snapshot.exists) {
      return [
        {
          id: ID,
          level: "warn",
          message: `Config not found: ${snapshot.path}`,
          detail: [`Missing config: run ${context.command("setup")} first.`],
        },
      ];
    }
    if (snapshot.valid) return [{ id: ID, level: "ok", message: `Config valid: ${snapshot.path}` }];

    const backupPath = `${snapshot.path}.bak`;
    const backup = readConfigSnapshot(backupPath);
    const detail = [`File: ${snapshot.path}`, ...issueLines(snapshot.issues)];
    if (backup.exists && backup.valid) {
      return [
        {
          id: ID,
          level: "error",
          message: "Config invalid",
          detail,
          fix: {
            description: `Restore ${snapshot.path} from ${backupPath} (the broken file is kept as ${snapshot.path}.broken-<timestamp>)`,
            apply: () => restoreFromBackup(context, backupPath),
          },
        },
      ];
    }
    detail.push(
      backup.exists ? `Backup ${backupPath} is invalid too.` : `No backup at ${backupPath}.`,
      `Fix by hand: edit ${snapshot.path} to correct the problems above, then run ${context.command("doctor")} again.`,
    );
    return [{ id: ID, level: "error", message: "Config invalid", detail }];
  },
};
