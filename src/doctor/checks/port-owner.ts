import { findPortListeners, isPortFree, type PortListener } from "../../host/port-owner.js";
import { probeReadyz } from "../../service/readiness.js";
import type { DoctorContext } from "../doctor-context.js";
import type { DoctorCheck, Finding } from "../finding.js";
import { discoverGatewayInstances } from "../gateway-instances.js";

const ID = "port.owner";

interface GatewayIdentity {
  pid?: number;
  configPath?: string;
}

function listenerLines(listeners: PortListener[]): string[] {
  return listeners.map(
    (l) => `- pid ${l.pid}${l.user ? ` ${l.user}` : ""}: ${l.command || "(unknown command)"} (${l.address})`,
  );
}

function holders(listeners: PortListener[]): string {
  const byPid = new Map<number, PortListener>();
  for (const listener of listeners) if (!byPid.has(listener.pid)) byPid.set(listener.pid, listener);
  return [...byPid.values()].map((l) => `pid ${l.pid} (${l.command || "unknown"})`).join(", ");
}

/** Who answers on the port, if it is a coderclaw gateway that let us in. */
async function gatewayOnPort(
  context: DoctorContext,
): Promise<{ identity: GatewayIdentity | null; error?: string }> {
  const probe = await context.probeLocal();
  const status = probe.results.status as { gateway?: GatewayIdentity } | undefined;
  if (probe.connected && status?.gateway) return { identity: status.gateway };
  return { identity: null, ...(probe.error ? { error: probe.error.split("\n")[0] } : {}) };
}

function ownPort(context: DoctorContext, port: number, pid: number | undefined): Finding {
  const configured = context.configuredPort();
  return {
    id: ID,
    level: "ok",
    message: `Port ${port} is held by this gateway (pid ${pid})`,
    detail:
      configured !== port
        ? [
            `It was started on port ${port} (--port or CODERCLAW_GATEWAY_PORT); its config says ${configured}.`,
          ]
        : [],
  };
}

function anotherGateway(
  context: DoctorContext,
  port: number,
  pid: number | undefined,
  configPath: string,
  detail: string[],
): Finding {
  return {
    id: ID,
    level: "error",
    message: `Port ${port} is held by another coderclaw gateway (pid ${pid}, config ${configPath})`,
    detail: [
      ...detail,
      `Give each gateway its own port: ${context.command("config set gateway.port <port>")}`,
    ],
  };
}

/** REFERENCE §1.4/§1.13 port diagnostics: the configured port is free, or held by this very gateway. */
export const portOwnerCheck: DoctorCheck = {
  id: ID,
  title: "Gateway port",
  async run(context): Promise<Finding[]> {
    const port = context.port();
    const listeners = await findPortListeners(port).catch((): PortListener[] => []);
    if (listeners.length === 0 && (await isPortFree(port).catch(() => true))) {
      return [{ id: ID, level: "ok", message: `Port ${port} is free` }];
    }
    const pids = new Set(listeners.map((l) => l.pid));
    const detail = listenerLines(listeners);
    // Runtime records say which gateway holds the port, whatever credentials the probe below has.
    const holds = (running: { pid: number; port: number }) =>
      running.port === port && (pids.size === 0 || pids.has(running.pid));
    const record = context.runtime();
    if (record && holds(record)) return [ownPort(context, port, record.pid)];
    const other = discoverGatewayInstances(context).find(
      (instance) => instance.running && holds(instance.running) && instance.configPath !== context.configPath,
    );
    if (other?.running) return [anotherGateway(context, port, other.running.pid, other.configPath, detail)];
    const { identity, error } = await gatewayOnPort(context);
    if (identity && (pids.size === 0 || identity.pid === undefined || pids.has(identity.pid))) {
      const pid = identity.pid ?? [...pids][0];
      if (!identity.configPath || identity.configPath === context.configPath) {
        return [ownPort(context, port, pid)];
      }
      return [anotherGateway(context, port, pid, identity.configPath, detail)];
    }
    const readyz = await probeReadyz("127.0.0.1", port, Math.min(1_000, context.probeTimeoutMs));
    if (readyz.kind !== "unreachable") {
      return [
        {
          id: ID,
          level: "warn",
          message: `Port ${port} is held by a gateway that did not accept this config's credentials${listeners.length > 0 ? `: ${holders(listeners)}` : ""}`,
          detail: [
            ...detail,
            ...(error ? [`Probe: ${error}`] : []),
            "Check gateway.auth.token against the running gateway.",
          ],
        },
      ];
    }
    if (listeners.length === 0) {
      return [
        {
          id: ID,
          level: "error",
          message: `Port ${port} is in use`,
          detail: [
            "Port is in use but process details are unavailable (install lsof or run as an admin user).",
          ],
        },
      ];
    }
    return [
      {
        id: ID,
        level: "error",
        message: `Port ${port} is in use by ${holders(listeners)}`,
        detail: [
          ...detail,
          "Another process is listening on this port: stop it, or move the gateway:",
          `  ${context.command("config set gateway.port <port>")}`,
        ],
      },
    ];
  },
};
