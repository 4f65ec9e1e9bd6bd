import type { DoctorCheck, Finding, FindingLevel } from "../finding.js";
import { discoverGatewayInstances, type GatewayInstance } from "../gateway-instances.js";

interface SharedResource {
  id: string;
  noun: string;
  level: FindingLevel;
  /** What the instance holds of this resource (a gateway's agents may use several workspaces). */
  keys(instance: GatewayInstance): string[];
}

/** The runbook's "Multiple gateways on one host" checklist: each of these must be unique. */
const RESOURCES: SharedResource[] = [
  // Only one of them can listen; the other fails with EADDRINUSE when both run.
  // The port it runs on now, and the one it comes back on when started as configured.
  {
    id: "instances.port",
    noun: "port",
    level: "warn",
    keys: (i) => [...new Set([String(i.port), String(i.configuredPort)])],
  },
  { id: "instances.config", noun: "config path", level: "error", keys: (i) => [i.configPath] },
  { id: "instances.state-dir", noun: "state dir", level: "error", keys: (i) => [i.stateDir] },
  { id: "instances.workspace", noun: "workspace", level: "warn", keys: (i) => i.workspaces },
];

/** `18789`, or `19001 (running, pid 4242; configured 18789)` for a gateway started with `--port`. */
function portText(instance: GatewayInstance): string {
  const { running, configuredPort } = instance;
  if (!running) return String(instance.port);
  const configured = configuredPort !== running.port ? `; configured ${configuredPort}` : "";
  return `${running.port} (running, pid ${running.pid}${configured})`;
}

function describe(instance: GatewayInstance): string {
  const others = instance.workspaces.filter((dir) => dir !== instance.workspace);
  const agents = others.length > 0 ? ` (agents also in ${others.join(", ")})` : "";
  return `- ${instance.label}: port ${portText(instance)}, config ${instance.configPath}, state ${instance.stateDir}, workspace ${instance.workspace}${agents}`;
}

export const gatewayInstancesCheck: DoctorCheck = {
  id: "instances",
  title: "Gateways on this host",
  run(context): Finding[] {
    const instances = discoverGatewayInstances(context);
    const findings: Finding[] = [];
    for (const resource of RESOURCES) {
      const groups = new Map<string, GatewayInstance[]>();
      for (const instance of instances) {
        for (const key of resource.keys(instance)) groups.set(key, [...(groups.get(key) ?? []), instance]);
      }
      for (const [value, group] of groups) {
        if (group.length < 2) continue;
        findings.push({
          id: resource.id,
          level: resource.level,
          message: `Gateways share ${resource.noun} ${value}: ${group.map((i) => i.label).join("; ")}`,
          detail: [
            ...group.map(describe),
            "Each gateway needs its own gateway.port, CODERCLAW_CONFIG_PATH, CODERCLAW_STATE_DIR and agents.defaults.workspace (and agents.list[].workspace).",
          ],
        });
      }
    }
    if (findings.length > 0) return findings;
    const message =
      instances.length === 0
        ? "No gateway configs found on this host"
        : instances.length === 1
          ? "One gateway configured on this host"
          : `${instances.length} gateways configured on this host; ports, configs, state dirs and workspaces are distinct`;
    return [
      { id: "instances", level: "ok", message, detail: instances.length > 1 ? instances.map(describe) : [] },
    ];
  },
};
