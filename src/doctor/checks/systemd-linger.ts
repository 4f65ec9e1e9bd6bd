import os from "node:os";
import { firstLine, runCommand } from "../../service/systemctl.js";
import type { DoctorCheck, Finding } from "../finding.js";

const ID = "systemd.linger";

/**
 * A user unit stops when its user logs out unless lingering is on (REFERENCE §4.4). Only for an
 * installed user unit on Linux; skipped where loginctl is not installed.
 */
export const systemdLingerCheck: DoctorCheck = {
  id: ID,
  title: "systemd lingering",
  async run(context): Promise<Finding[]> {
    const manager = context.serviceManager();
    if (context.platform !== "linux" || manager.kind !== "systemd" || manager.scope !== "user") return [];
    if (!(await context.serviceDefinition())) return [];
    const user = os.userInfo().username;
    const enable = `sudo loginctl enable-linger ${user}`;
    const result = await runCommand("loginctl", ["show-user", user, "-p", "Linger"], 5_000);
    if (result.missing) return [];
    const linger = /^Linger=(\w+)/m.exec(result.stdout)?.[1];
    if (result.code === 0 && linger === "yes") {
      return [{ id: ID, level: "ok", message: `systemd lingering is enabled for ${user}` }];
    }
    if (result.code === 0 && linger === "no") {
      return [
        {
          id: ID,
          level: "warn",
          message: `systemd lingering is disabled for ${user}; the gateway service stops when ${user} logs out.`,
          detail: [`Enable it: ${enable}`],
        },
      ];
    }
    const reason = firstLine(result.stderr) || firstLine(result.stdout) || `exit code ${result.code}`;
    return [
      {
        id: ID,
        level: "warn",
        message: `Could not read systemd lingering for ${user}: ${reason}`,
        detail: [`For the service to outlive your login session: ${enable}`],
      },
    ];
  },
};
