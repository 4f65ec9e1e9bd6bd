import { redactUrl } from "../../config/redact.js";
import { setAtPath } from "../../config/write.js";
import type { DoctorContext } from "../doctor-context.js";
import type { DoctorCheck, DoctorFix, Finding } from "../finding.js";

const ID = "gateway.mode";

function setLocal(context: DoctorContext): DoctorFix {
  return {
    description: `Set gateway.mode to "local" in ${context.configPath}`,
    apply: () => {
      context.writeConfig(setAtPath(context.snapshot.parsed, "gateway.mode", "local"));
      return [`Set gateway.mode = "local" (backup: ${context.configPath}.bak)`];
    },
  };
}

/** `coderclaw gateway` refuses to start unless gateway.mode is local (REFERENCE §1.13 step 3, §2.7). */
export const gatewayModeCheck: DoctorCheck = {
  id: ID,
  title: "Gateway mode",
  run(context): Finding[] {
    const snapshot = context.snapshot;
    // An invalid file is the config check's finding; nothing here can be judged or written safely.
    if (!snapshot.valid) return [];
    const { mode, remote } = snapshot.config.gateway;
    if (mode === "local") return [{ id: ID, level: "ok", message: "gateway.mode is local" }];
    if (mode === "remote" && remote.url) {
      return [
        {
          id: ID,
          level: "warn",
          message: `gateway.mode is remote (gateway.remote.url ${redactUrl(remote.url)}); this host does not run a gateway.`,
          detail: [`To run one here: ${context.command("config set gateway.mode local")}`],
        },
      ];
    }
    if (mode === "remote") {
      return [
        {
          id: ID,
          level: "error",
          message:
            "gateway.mode=remote but gateway.remote.url is missing; the CLI falls back to the local gateway.",
          detail: [
            `Set the remote: ${context.command("config set gateway.remote.url wss://<host>:<port>")}`,
            `Or run the gateway here: ${context.command("config set gateway.mode local")}`,
          ],
          fix: setLocal(context),
        },
      ];
    }
    const detail = [`Fix: ${context.command("config set gateway.mode local")}`];
    if (!snapshot.exists) detail.push(`Missing config: run ${context.command("setup")} first.`);
    return [
      {
        id: ID,
        level: "error",
        message: "gateway.mode is unset; gateway start will be blocked.",
        detail,
        fix: setLocal(context),
      },
    ];
  },
};
