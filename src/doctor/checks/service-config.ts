import path from "node:path";
import { readConfigSnapshot } from "../../config/load.js";
import { resolveConfigPath } from "../../config/paths.js";
import { cliEntryPath, portFromProgramArguments } from "../../service/program-args.js";
import { resolveInstall } from "../../service/install-plan.js";
import { auditService, type AuditIssue } from "../../service/service-audit.js";
import type { ServiceDefinition } from "../../service/service-manager.js";
import type { DoctorContext } from "../doctor-context.js";
import type { DoctorCheck, DoctorFix, Finding } from "../finding.js";

const ID = "service.config";

/** Doctor-only audit code (REFERENCE §4.6): the unit runs a CLI entry other than this install's. */
function entrypointIssue(definition: ServiceDefinition): AuditIssue | null {
  const entry = definition.command.programArguments[1];
  if (!entry || path.resolve(entry) === cliEntryPath()) return null;
  return {
    code: "gateway-entrypoint-mismatch",
    message: "Gateway service entrypoint does not match the current install.",
    detail: `${entry} -> ${cliEntryPath()}`,
    level: "recommended",
  };
}

/** The instance the unit runs (its pinned config path and state dir), so a rewrite keeps pointing there. */
function serviceEnv(context: DoctorContext, definition: ServiceDefinition): NodeJS.ProcessEnv {
  const pinned = definition.command.environment;
  return {
    ...context.env,
    ...(pinned.CODERCLAW_STATE_DIR ? { CODERCLAW_STATE_DIR: pinned.CODERCLAW_STATE_DIR } : {}),
    ...(pinned.CODERCLAW_CONFIG_PATH ? { CODERCLAW_CONFIG_PATH: pinned.CODERCLAW_CONFIG_PATH } : {}),
  };
}

/** `coderclaw gateway install --force`, keeping the unit's port and instance. */
function reinstall(context: DoctorContext, definition: ServiceDefinition): DoctorFix {
  const manager = context.serviceManager();
  return {
    description: `Rewrite ${manager.filePath} with the current defaults (same as ${context.command("gateway install --force")})`,
    apply: async () => {
      const port = portFromProgramArguments(definition.command.programArguments);
      const resolved = resolveInstall({
        env: serviceEnv(context, definition),
        platform: context.platform,
        ...(port !== undefined ? { port: String(port) } : {}),
      });
      const result = await manager.install(resolved.plan);
      context.forgetService();
      context.reloadConfig();
      const lines = [...resolved.notes, ...resolved.warnings, ...result.lines];
      if (result.outcome === "failed") throw new Error(result.error ?? "service install failed");
      if (result.outcome === "unavailable") {
        lines.push(`${result.error ?? "service manager unavailable"}; to load the new unit run:`);
        lines.push(...(result.manual?.commands ?? []).map((command) => `  ${command}`));
      }
      return lines;
    },
  };
}

/** REFERENCE §4.6 drift audit of the installed unit/plist, token drift included. */
export const serviceConfigCheck: DoctorCheck = {
  id: ID,
  title: "Gateway service config",
  async run(context): Promise<Finding[]> {
    const manager = context.serviceManager();
    if (manager.kind === "unsupported") return [];
    const definition = await context.serviceDefinition();
    if (!definition) {
      return [{ id: ID, level: "ok", message: `Gateway service not installed (${manager.label})` }];
    }
    // The service gateway reads the config the unit names; the CLI takes this shell's token over it.
    const unitEnv = serviceEnv(context, definition);
    const unitConfig = readConfigSnapshot(resolveConfigPath(unitEnv)).config;
    const tokens = { env: context.env.CODERCLAW_GATEWAY_TOKEN, config: unitConfig.gateway.auth.token };
    const audit = auditService(definition, { tokens, platform: context.platform });
    const issues = [...audit.issues];
    const entrypoint = entrypointIssue(definition);
    if (entrypoint) issues.push(entrypoint);
    if (issues.length === 0) {
      return [
        { id: ID, level: "ok", message: `Gateway service config matches the defaults (${manager.filePath})` },
      ];
    }
    const aggressive = issues.some((issue) => issue.level === "aggressive");
    return [
      {
        id: ID,
        level: aggressive ? "error" : "warn",
        message: `Gateway service config drifted from the defaults (${manager.filePath})`,
        detail: issues.map(
          (issue) => `- ${issue.code}: ${issue.message}${issue.detail ? ` (${issue.detail})` : ""}`,
        ),
        fix: reinstall(context, definition),
      },
    ];
  },
};
