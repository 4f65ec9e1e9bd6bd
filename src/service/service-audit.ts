import path from "node:path";
import { runsGatewayCommand } from "./program-args.js";
import { minimalPathDirs, REQUIRED_PATH_DIRS } from "./service-env.js";
import type { ServiceDefinition } from "./service-manager.js";
import { GATEWAY_SERVICE_POLICY } from "./systemd-unit.js";

export type AuditLevel = "aggressive" | "recommended";

export interface AuditIssue {
  code: string;
  message: string;
  detail?: string;
  level: AuditLevel;
}

export interface ServiceAudit {
  ok: boolean;
  issues: AuditIssue[];
}

/** The tokens the CLI picks from (flag aside): this shell's CODERCLAW_GATEWAY_TOKEN, then the config's. */
export interface TokenSources {
  env?: string | null;
  config?: string | null;
}

export interface AuditOptions {
  /** Where the CLI takes its token from, to compare with the one the service gateway uses. */
  tokens?: TokenSources;
  platform?: NodeJS.Platform;
}

const VERSION_MANAGER_DIR =
  /[/\\](\.nvm|\.fnm|\.volta|\.asdf|\.n|\.nodenv|\.nodebrew|\.nvs|n[/\\]versions|\.local[/\\]share[/\\]pnpm|Library[/\\]pnpm)([/\\]|$)/;

/**
 * The service gateway takes a token pinned in its environment over its config (env > config), the CLI
 * takes this shell's CODERCLAW_GATEWAY_TOKEN over the config: when the two picks differ, the CLI is
 * refused. A service that pins nothing reads the config, as the CLI does.
 */
export function tokenDriftIssue(
  tokens: TokenSources | undefined,
  serviceEnvironment: Record<string, string>,
): AuditIssue | null {
  const configToken = tokens?.config || null;
  const envToken = tokens?.env?.trim() || null;
  const cliToken = envToken ?? configToken;
  const pinned = serviceEnvironment.CODERCLAW_GATEWAY_TOKEN?.trim() || null;
  const serviceToken = pinned ?? configToken;
  if (!cliToken || !serviceToken || cliToken === serviceToken) return null;
  return {
    code: "gateway-token-drift",
    message: `${envToken ? "CODERCLAW_GATEWAY_TOKEN" : "Config token"} differs from service token`,
    detail: pinned
      ? "service token is stale; run `coderclaw gateway install --force` to sync it"
      : "the service uses gateway.auth.token; run `coderclaw gateway install --force` from this shell to pin CODERCLAW_GATEWAY_TOKEN",
    level: "recommended",
  };
}

function pathIssues(definition: ServiceDefinition, platform: NodeJS.Platform): AuditIssue[] {
  const { environment, programArguments } = definition.command;
  const servicePath = environment.PATH;
  if (!servicePath) {
    return [
      {
        code: "gateway-path-missing",
        message: "Gateway service PATH is not set; the service should use a minimal PATH.",
        level: "recommended",
      },
    ];
  }
  const entries = servicePath.split(path.delimiter).filter(Boolean);
  const issues: AuditIssue[] = [];
  const missing = REQUIRED_PATH_DIRS.filter((dir) => !entries.includes(dir));
  if (missing.length > 0) {
    issues.push({
      code: "gateway-path-missing-dirs",
      message: `Gateway service PATH missing required dirs: ${missing.join(", ")}`,
      level: "recommended",
    });
  }
  const minimal = new Set(minimalPathDirs(environment, programArguments[0] ?? "", platform));
  const extra = entries.filter((dir) => VERSION_MANAGER_DIR.test(dir) && !minimal.has(dir));
  if (extra.length > 0) {
    issues.push({
      code: "gateway-path-nonminimal",
      message:
        "Gateway service PATH includes version managers or package managers; recommend a minimal PATH.",
      detail: extra.join(path.delimiter),
      level: "recommended",
    });
  }
  return issues;
}

function runtimeIssues(executable: string): AuditIssue[] {
  const name = path.basename(executable);
  if (name === "bun") {
    return [
      {
        code: "gateway-runtime-bun",
        message: "Gateway service uses Bun; Node is recommended.",
        detail: executable,
        level: "recommended",
      },
    ];
  }
  if (name.startsWith("node") && VERSION_MANAGER_DIR.test(executable)) {
    return [
      {
        code: "gateway-runtime-node-version-manager",
        message: "Gateway service uses Node from a version manager; it can break after upgrades.",
        detail: executable,
        level: "recommended",
      },
    ];
  }
  return [];
}

function systemdIssues(definition: ServiceDefinition): AuditIssue[] {
  const unit = definition.systemd;
  if (!unit) return [];
  const values = (section: string, key: string) =>
    (unit.sections[section]?.[key] ?? []).flatMap((value) => value.split(/\s+/));
  const issues: AuditIssue[] = [];
  if (!values("Unit", "After").includes("network-online.target")) {
    issues.push({
      code: "systemd-after-network-online",
      message: "Missing systemd After=network-online.target",
      level: "recommended",
    });
  }
  if (!values("Unit", "Wants").includes("network-online.target")) {
    issues.push({
      code: "systemd-wants-network-online",
      message: "Missing systemd Wants=network-online.target",
      level: "recommended",
    });
  }
  const restart = unit.sections.Service?.Restart?.at(-1);
  if (restart !== GATEWAY_SERVICE_POLICY.Restart) {
    issues.push({
      code: "systemd-restart",
      message: "Restart is not always: systemd will not bring the gateway back when it exits",
      detail: restart === undefined ? "Restart unset (systemd's default is no)" : `Restart=${restart}`,
      level: "recommended",
    });
  }
  const killMode = unit.sections.Service?.KillMode?.at(-1);
  if (killMode !== GATEWAY_SERVICE_POLICY.KillMode) {
    issues.push({
      code: "systemd-kill-mode",
      message:
        "KillMode is not process: on stop systemd signals the gateway's child processes too, so in-flight runs cannot finish",
      detail:
        killMode === undefined
          ? "KillMode unset (systemd's default is control-group)"
          : `KillMode=${killMode}`,
      level: "recommended",
    });
  }
  const restartSec = unit.sections.Service?.RestartSec?.at(-1);
  if (restartSec === undefined || !/^5(s|sec)?$/.test(restartSec)) {
    issues.push({
      code: "systemd-restart-sec",
      message: "RestartSec does not match the recommended 5s",
      detail: restartSec === undefined ? "RestartSec unset" : `RestartSec=${restartSec}`,
      level: "recommended",
    });
  }
  return issues;
}

function launchdIssues(definition: ServiceDefinition): AuditIssue[] {
  const plist = definition.launchd;
  if (!plist) return [];
  const issues: AuditIssue[] = [];
  if (plist.runAtLoad !== true) {
    issues.push({
      code: "launchd-run-at-load",
      message: "LaunchAgent is missing RunAtLoad=true",
      level: "recommended",
    });
  }
  if (plist.keepAlive !== true) {
    issues.push({
      code: "launchd-keep-alive",
      message: "LaunchAgent is missing KeepAlive=true",
      level: "recommended",
    });
  }
  return issues;
}

/** REFERENCE §4.6: how an installed unit/plist drifted from what `gateway install` writes today. */
export function auditService(definition: ServiceDefinition, options: AuditOptions = {}): ServiceAudit {
  const platform = options.platform ?? process.platform;
  const { programArguments, environment } = definition.command;
  const issues: AuditIssue[] = [];
  if (!runsGatewayCommand(programArguments)) {
    issues.push({
      code: "gateway-command-missing",
      message: "Service command does not include the gateway subcommand",
      detail: programArguments.join(" ") || "no command",
      level: "aggressive",
    });
  }
  const drift = tokenDriftIssue(options.tokens, environment);
  if (drift) issues.push(drift);
  issues.push(...pathIssues(definition, platform));
  if (programArguments[0]) issues.push(...runtimeIssues(programArguments[0]));
  issues.push(...systemdIssues(definition), ...launchdIssues(definition));
  return { ok: issues.length === 0, issues };
}
