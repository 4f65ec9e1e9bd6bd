import fs from "node:fs";
import path from "node:path";
import { AgentDirectory } from "../agents/agent-directory.js";
import { readConfigSnapshot } from "../config/load.js";
import {
  activeProfile,
  applyProfileEnv,
  CONFIG_FILE_NAME,
  expandHome,
  isValidProfileName,
  resolveConfigPath,
  resolveDefaultWorkspace,
  resolveStateDir,
  type Env,
} from "../config/paths.js";
import { resolvePort } from "../host/launch.js";
import { readRuntimeRecord } from "../host/runtime-record.js";
import { serviceScanDirs } from "../service/extra-services.js";
import { parseLaunchdPlist } from "../service/launchd-plist.js";
import { portFromProgramArguments, runsGatewayCommand } from "../service/program-args.js";
import { parseSystemdUnit } from "../service/systemd-unit.js";
import type { DoctorContext } from "./doctor-context.js";

/** One gateway this host could run: what it would listen on and which files it would own. */
export interface GatewayInstance {
  /** `this CLI (default profile)`, `profile work`, `service coderclaw-gateway-work.service`. */
  label: string;
  configPath: string;
  stateDir: string;
  /** Where it listens when it runs (its runtime record), else where it would: service args, env, config. */
  port: number;
  /** Where it would listen when started without `--port` (service args, env, config, default). */
  configuredPort: number;
  /** Its gateway process, when one runs (from the runtime record it wrote when it became ready). */
  running?: { pid: number; port: number };
  /** The agents' default workspace. */
  workspace: string;
  /** Every agent's workspace (the default one included), each once, symlinks resolved. */
  workspaces: string[];
  /** The service unit that runs it, when one was found. */
  unit?: string;
}

/** Two spellings of one directory (a symlink, `~`) are one workspace. */
function realWorkspacePath(dir: string): string {
  try {
    return fs.realpathSync(dir);
  } catch {
    return dir;
  }
}

/** The instance the environment `env` describes (as `coderclaw gateway` would resolve it). */
function describeInstance(label: string, env: Env, portOverride?: number): GatewayInstance {
  const configPath = resolveConfigPath(env);
  const snapshot = readConfigSnapshot(configPath);
  const config = snapshot.config;
  const workspace = realWorkspacePath(
    config.agents.defaults.workspace
      ? path.resolve(expandHome(config.agents.defaults.workspace, env))
      : resolveDefaultWorkspace(env),
  );
  // An agent of its own may work in another gateway's workspace as surely as the default one can.
  const agentWorkspaces = new AgentDirectory(config, env).agents.map((agent) => agent.workspace);
  const configuredPort =
    portOverride ?? resolvePort(undefined, env, snapshot.exists ? config.gateway.port : undefined);
  // A gateway started with `--port N` listens on N whatever its config says.
  const record = readRuntimeRecord(configPath);
  return {
    label,
    configPath,
    stateDir: resolveStateDir(env),
    port: record?.port ?? configuredPort,
    configuredPort,
    ...(record ? { running: { pid: record.pid, port: record.port } } : {}),
    workspace,
    workspaces: [...new Set([workspace, ...agentWorkspaces].map(realWorkspacePath))],
  };
}

function baseEnv(context: DoctorContext): Env {
  return {
    HOME: context.home,
    ...(context.env.CODERCLAW_HOME ? { CODERCLAW_HOME: context.env.CODERCLAW_HOME } : {}),
  };
}

/** `~/.coderclaw` and `~/.coderclaw-<profile>` dirs that hold a config (the runbook's layout). */
function profileInstances(context: DoctorContext): GatewayInstance[] {
  let names: string[];
  try {
    names = fs.readdirSync(context.home).sort();
  } catch {
    return [];
  }
  const found: GatewayInstance[] = [];
  for (const name of names) {
    const match = /^\.coderclaw(?:-(.+))?$/.exec(name);
    if (!match) continue;
    const profile = match[1] ?? "default";
    if (!isValidProfileName(profile)) continue;
    if (!fs.existsSync(path.join(context.home, name, CONFIG_FILE_NAME))) continue;
    const env = baseEnv(context);
    applyProfileEnv(profile, env);
    found.push(describeInstance(profile === "default" ? "default profile" : `profile ${profile}`, env));
  }
  return found;
}

interface UnitInstance {
  instance: GatewayInstance;
  unit: string;
}

/** Installed units/plists that run `gateway`, resolved through the paths and port they pin. */
function serviceInstances(context: DoctorContext): UnitInstance[] {
  const dirs = serviceScanDirs(context.env, context.platform, context.deep).map((entry) => entry.dir);
  const managerFile = context.serviceManager().filePath;
  if (managerFile) dirs.push(path.dirname(managerFile));
  const seen = new Set<string>();
  const found: UnitInstance[] = [];
  for (const dir of new Set(dirs)) {
    let names: string[];
    try {
      names = fs.readdirSync(dir).sort();
    } catch {
      continue;
    }
    for (const name of names) {
      if (!name.endsWith(".service") && !name.endsWith(".plist")) continue;
      const file = path.join(dir, name);
      let real: string;
      let content: string;
      try {
        real = fs.realpathSync(file);
        if (seen.has(real) || !fs.statSync(real).isFile()) continue;
        content = fs.readFileSync(real, "utf8");
      } catch {
        continue;
      }
      seen.add(real);
      const parsed = name.endsWith(".plist") ? parseLaunchdPlist(content) : parseSystemdUnit(content);
      const command = parsed.programArguments.join(" ");
      if (!/coderclaw/i.test(`${name} ${command}`) || !runsGatewayCommand(parsed.programArguments)) continue;
      const env: Env = { ...baseEnv(context), ...parsed.environment };
      const port = portFromProgramArguments(parsed.programArguments);
      found.push({ instance: describeInstance(`service ${name}`, env, port), unit: name });
    }
  }
  return found;
}

const sameFiles = (a: GatewayInstance, b: GatewayInstance) =>
  a.configPath === b.configPath && a.stateDir === b.stateDir;

/**
 * Every gateway configured on this host, found the runbook way: this CLI's instance, each profile
 * state dir with a config, and each installed gateway service. A service that runs one of those
 * configs is the same gateway (its pinned port wins, unless the gateway runs elsewhere); a second
 * service on the same files is another.
 */
export function discoverGatewayInstances(context: DoctorContext): GatewayInstance[] {
  const instances: GatewayInstance[] = [];
  if (context.snapshot.exists) {
    const profile = activeProfile(context.env);
    instances.push(
      describeInstance(`this CLI (${profile ? `profile ${profile}` : "default profile"})`, context.env),
    );
  }
  for (const candidate of profileInstances(context)) {
    if (!instances.some((known) => sameFiles(known, candidate))) instances.push(candidate);
  }
  for (const { instance, unit } of serviceInstances(context)) {
    const owner = instances.find((known) => known.unit === undefined && sameFiles(known, instance));
    if (owner) {
      owner.unit = unit;
      owner.label = `${owner.label}, service ${unit}`;
      owner.port = instance.port;
      owner.configuredPort = instance.configuredPort;
    } else {
      instances.push({ ...instance, unit });
    }
  }
  return instances;
}
