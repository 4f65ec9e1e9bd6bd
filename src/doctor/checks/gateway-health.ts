import { redactUrl } from "../../config/redact.js";
import type { DoctorCheck, Finding } from "../finding.js";

const ID = "gateway.health";

interface HealthView {
  ok?: boolean;
  error?: string;
}

const firstLine = (text: string) => text.split("\n")[0] ?? text;

/** A refused connection surfaces as an abnormal close; say what it means. */
function describeProbeError(error: string): string {
  return /^gateway closed \(1006\b.*no close reason$/.test(error)
    ? "nothing answered (connection closed before the handshake)"
    : error;
}

/** REFERENCE §1.13 step 12: ask the configured gateway for `health`; unreachable is a warning with hints. */
export const gatewayHealthCheck: DoctorCheck = {
  id: ID,
  title: "Gateway health",
  async run(context): Promise<Finding[]> {
    const target = context.probeTarget();
    const url = redactUrl(target.url);
    const probe = await target.result;
    if (!probe.connected) {
      const error = firstLine(probe.error ?? "unreachable");
      if (/unauthori[sz]ed|auth/i.test(error) && !/ECONNREFUSED|closed \(1006/i.test(error)) {
        return [
          {
            id: ID,
            level: "warn",
            message: `Gateway at ${url} rejected the credentials: ${error}`,
            detail: [
              "The CLI's token (CODERCLAW_GATEWAY_TOKEN or gateway.auth.token) must match the gateway's.",
            ],
          },
        ];
      }
      return [
        {
          id: ID,
          level: "warn",
          message: `Gateway not running (${url})`,
          detail: [
            `Probe: ${describeProbeError(error)}`,
            `Start it in the foreground: ${context.command("gateway")}`,
            `Or start the installed service: ${context.command("gateway start")}`,
          ],
        },
      ];
    }
    const health = probe.results.health as HealthView | undefined;
    const latency = probe.connectLatencyMs !== null ? `, ${probe.connectLatencyMs}ms` : "";
    if (!health) {
      const error = firstLine(probe.errors.health ?? "no answer");
      return [{ id: ID, level: "warn", message: `Gateway at ${url} did not answer health: ${error}` }];
    }
    if (health.ok === false) {
      return [
        {
          id: ID,
          level: "warn",
          message: `Gateway at ${url} reports unhealthy${latency ? ` (${latency.slice(2)})` : ""}`,
          detail: health.error ? [health.error] : [],
        },
      ];
    }
    return [{ id: ID, level: "ok", message: `Gateway healthy (${url}${latency})` }];
  },
};
