import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { ConfigIssue } from "../config/config-issue.js";
import { readConfigSnapshot, validateConfigObject } from "../config/load.js";
import {
  expandHome,
  resolveConfigPath,
  resolveDefaultWorkspace,
  resolveLogDir,
  resolveStateDir,
  type Env,
} from "../config/paths.js";
import { getAtPath, setAtPath, writeConfigFile } from "../config/write.js";
import { resolveGatewayPort } from "../config/gateway-port.js";

export interface SetupOptions {
  /** `--workspace`; otherwise the configured one, otherwise the profile's default. */
  workspace?: string;
}

export interface SetupChange {
  path: string;
  /** What to print; never the secret itself. */
  shown: string;
}

export type SetupOutcome =
  | {
      kind: "invalid";
      configPath: string;
      issues: ConfigIssue[];
    }
  | {
      kind: "done";
      configPath: string;
      stateDir: string;
      workspace: string;
      /** The port a gateway started with this config and environment would use. */
      port: { value: number; source: string };
      /** `wrote` = new file, `updated` = changed keys, `unchanged` = nothing to do. */
      config: "wrote" | "updated" | "unchanged";
      changes: SetupChange[];
    };

function gatewayPort(env: Env, configPort: number | undefined) {
  const { port, source } = resolveGatewayPort(undefined, env, configPort);
  return { value: port, source };
}

/** A 48-hex gateway token, like the one a gateway's first start generates. */
export function generateGatewayToken(): string {
  return randomBytes(24).toString("hex");
}

const isSet = (value: unknown) => value !== undefined && value !== null && value !== "";

/**
 * `coderclaw setup` (REFERENCE §1.12 with our decision): local mode, a token when no secret is
 * configured, the agent workspace; creates the workspace and state dirs. An invalid config is
 * reported, never overwritten; a second run changes nothing.
 */
export function runSetup(options: SetupOptions, env: Env = process.env): SetupOutcome {
  const configPath = resolveConfigPath(env);
  const stateDir = resolveStateDir(env);
  const snapshot = readConfigSnapshot(configPath);
  if (!snapshot.valid) return { kind: "invalid", configPath, issues: snapshot.issues };

  let next: Record<string, unknown> = snapshot.parsed;
  const changes: SetupChange[] = [];
  const set = (keyPath: string, value: unknown, shown = String(value)) => {
    next = setAtPath(next, keyPath, value);
    changes.push({ path: keyPath, shown });
  };

  if (!isSet(getAtPath(next, "gateway.mode"))) set("gateway.mode", "local");
  const auth = snapshot.config.gateway.auth;
  const envSecret = env.CODERCLAW_GATEWAY_TOKEN?.trim() || env.CODERCLAW_GATEWAY_PASSWORD?.trim();
  if (!auth.token && !auth.password && !envSecret) {
    set("gateway.auth.token", generateGatewayToken(), "generated (48 hex characters)");
  }
  const configured = snapshot.config.agents.defaults.workspace;
  const configuredDir = configured ? path.resolve(expandHome(configured, env)) : null;
  const workspace = options.workspace
    ? path.resolve(expandHome(options.workspace, env))
    : (configuredDir ?? resolveDefaultWorkspace(env));
  if (workspace !== configuredDir) set("agents.defaults.workspace", workspace);

  if (changes.length > 0 || !snapshot.exists) {
    const { issues } = validateConfigObject(next);
    if (issues.length > 0) return { kind: "invalid", configPath, issues };
    writeConfigFile(configPath, next, {
      auditLogPath: path.join(resolveLogDir(stateDir), "config-audit.jsonl"),
      source: "setup",
    });
  }
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const filePort = getAtPath(next, "gateway.port");
  fs.mkdirSync(workspace, { recursive: true });
  return {
    kind: "done",
    configPath,
    stateDir,
    workspace,
    port: gatewayPort(env, typeof filePort === "number" ? filePort : undefined),
    config: !snapshot.exists ? "wrote" : changes.length > 0 ? "updated" : "unchanged",
    changes,
  };
}
