import { cliCommand, type Env } from "../../../config/paths.js";
import type {
  ConfigSummary,
  GatewayStatus,
  GatewayStatusContext,
  RuntimeStatus,
} from "../../../service/gateway-status.js";
import { redactUrl } from "../../../config/redact.js";

export interface OutputLine {
  stream: "out" | "err";
  text: string;
}

export function runtimeText(runtime: RuntimeStatus): string {
  const parts: string[] = [];
  if (runtime.pid) parts.push(`pid ${runtime.pid}`);
  if (runtime.state && runtime.status !== "starting") parts.push(`state ${runtime.state}`);
  if (runtime.subState) parts.push(`sub ${runtime.subState}`);
  if (runtime.lastExitStatus !== undefined) parts.push(`last exit ${runtime.lastExitStatus}`);
  if (runtime.lastExitReason) parts.push(`reason ${runtime.lastExitReason}`);
  if (runtime.detail) parts.push(runtime.detail);
  return `${runtime.status}${parts.length > 0 ? ` (${parts.join(", ")})` : ""}`;
}

function configText(summary: ConfigSummary): string {
  return `${summary.path}${summary.exists ? "" : " (missing)"}${summary.valid ? "" : " (invalid)"}`;
}

function serviceState(status: GatewayStatus, context: GatewayStatusContext): string {
  if (!context.managerAvailable) return "unavailable";
  if (status.service.loaded) return status.service.loadedText;
  return context.installed ? status.service.notLoadedText : "missing";
}

/** REFERENCE §1.8 human output, in order; problems and what to do about them go to stderr. */
export function gatewayStatusLines(
  status: GatewayStatus,
  context: GatewayStatusContext,
  env: Env,
): OutputLine[] {
  const lines: OutputLine[] = [];
  const out = (text = "") => lines.push({ stream: "out", text });
  const err = (text: string) => lines.push({ stream: "err", text });
  const { service, config, gateway, rpc } = status;
  const { manager } = context;

  out(`Service: ${manager.displayName} (${serviceState(status, context)})`);
  out(`File logs: ${context.logFile}`);
  if (service.command) {
    out(`Command: ${service.command.programArguments.join(" ")}`);
    if (service.command.sourcePath) out(`Service file: ${service.command.sourcePath}`);
    if (service.command.workingDirectory) out(`Working dir: ${service.command.workingDirectory}`);
    const safeEnv = Object.entries(service.command.environment ?? {});
    if (safeEnv.length > 0) out(`Service env: ${safeEnv.map(([key, value]) => `${key}=${value}`).join(" ")}`);
  }
  out();
  if (!service.configAudit.ok) {
    err("Service config looks out of date or non-standard.");
    for (const issue of service.configAudit.issues) {
      err(`Service config issue: ${issue.message}${issue.detail ? ` (${issue.detail})` : ""}`);
    }
    err(`Recommendation: run "${cliCommand("doctor", env)}" (or "${cliCommand("doctor --repair", env)}").`);
  }
  out(`Config (cli): ${configText(config.cli)}`);
  for (const issue of (config.cli.issues ?? []).slice(0, 5))
    err(`Config issue: ${issue.path || "<root>"}: ${issue.message}`);
  out(`Config (service): ${configText(config.daemon)}`);
  if (config.mismatch) {
    err(
      "Root cause: CLI and service are using different config paths (likely a profile/state-dir mismatch).",
    );
    err(
      `Fix: rerun \`${cliCommand("gateway install --force", env)}\` from the same --profile / CODERCLAW_STATE_DIR you expect.`,
    );
  }
  out();
  out(
    `Gateway: bind=${gateway.bindMode} (${gateway.bindHost}), port=${gateway.port} (${gateway.portSource})`,
  );
  if (gateway.auth)
    out(`Auth: ${gateway.auth.mode}${gateway.auth.source ? ` (${gateway.auth.source})` : ""}`);
  out(`Probe target: ${redactUrl(gateway.probeUrl)}`);
  out(`Dashboard: ${context.dashboard}`);
  if (gateway.tls.enabled) {
    out(
      gateway.tls.fingerprint
        ? `TLS: on, certificate SHA-256 fingerprint ${gateway.tls.fingerprint}`
        : `TLS: on (no readable certificate at ${gateway.tls.certPath} yet)`,
    );
  }
  if (gateway.probeNote) out(`Probe note: ${gateway.probeNote}`);
  out();
  out(`Runtime: ${runtimeText(service.runtime)}`);
  if (rpc && !rpc.ok && service.loaded && service.runtime.status === "running") {
    out("Warm-up: launch agents can take a few seconds. Try again shortly.");
  }
  if (rpc?.ok) out("RPC probe: ok");
  else if (rpc) {
    err("RPC probe: failed");
    err(`RPC target: ${redactUrl(rpc.url)}`);
    for (const line of (rpc.error ?? "no answer").split("\n").slice(0, 12)) err(`  ${line}`);
  }
  out();

  if (!context.managerAvailable && manager.kind === "systemd") {
    err(
      `${manager.scope === "system" ? "systemd" : "systemd user services"} unavailable (${(context.managerDetail ?? "").replace(/\.$/, "")}).`,
    );
    err(`Run the gateway in the foreground: ${cliCommand("gateway", env)}`);
    if (context.installed) {
      err(`Where systemd runs: ${manager.manualStartCommands().join(" && ")}`);
    }
  } else if (context.managerAvailable && !context.installed) {
    err("Service unit not found.");
    err(`Install it with: ${cliCommand("gateway install", env)}`);
  } else if (context.managerAvailable && service.loaded && service.runtime.status === "stopped") {
    err("Service is loaded but not running (likely exited immediately).");
    err(`Start it with: ${cliCommand("gateway start", env)}`);
  }
  const port = status.port;
  if (port?.status === "busy") {
    if (!rpc?.ok && rpc) {
      err(`Port ${port.port} is already in use.`);
      for (const l of port.listeners) {
        err(`- pid ${l.pid ?? "?"}${l.user ? ` ${l.user}` : ""}: ${l.command ?? ""} (${l.address ?? ""})`);
      }
      port.hints.forEach((hint) => err(`- ${hint}`));
    }
    const addresses = [...new Set(port.listeners.map((l) => l.address).filter(Boolean))];
    if (addresses.length > 0) out(`Listening: ${addresses.join(", ")}`);
  }
  if (status.portCli)
    out(`Note: CLI config resolves gateway port=${context.cliPort} (${status.portCli.status}).`);
  if (context.installed && service.runtime.status === "running" && port?.status === "free") {
    err(`Gateway port ${gateway.port} is not listening (service appears running).`);
    if (status.lastError) err(`Last gateway error: ${status.lastError}`);
  }
  if (context.installed) for (const hint of manager.logHints()) err(`Logs: ${hint}`);
  if (status.extraServices.length > 0) {
    err("Other gateway-like services detected (best effort):");
    for (const extra of status.extraServices) err(`- ${extra.label} (${extra.scope}, ${extra.detail})`);
    err("Recommendation: run a single gateway per machine for most setups.");
    err(
      "If you need multiple gateways (e.g. a rescue profile), give each its own port, config path, state dir and workspace.",
    );
  }
  out(`Troubles: run ${cliCommand("status", env)}`);
  out("Troubleshooting: https://docs.coderclaw.ai/troubleshooting");
  return lines;
}
