import { callGateway } from "../../../client/one-shot.js";
import { OperatorCommand } from "../../operator-command.js";
import { healthLines, type HealthView } from "../../render-health.js";
import { healthFlags } from "../health.js";

export default class GatewayHealth extends OperatorCommand {
  static override summary = "Call the gateway's health method: `OK (<ms>)` then the health lines.";
  static override flags = healthFlags;

  async run(): Promise<void> {
    const { flags } = await this.parse(GatewayHealth);
    this.applyProfile(flags.profile);
    const timeout = this.timeoutMs(flags.timeout);
    this.requireUrlCredentials(flags);
    let summary: HealthView;
    try {
      summary = await callGateway<HealthView>("health", flags.verbose ? { probe: true } : {}, {
        ...flags,
        timeout,
      });
    } catch (error) {
      this.fail((error as Error).message);
    }
    if (flags.json) {
      this.line(JSON.stringify(summary, null, 2));
      return;
    }
    this.line("Gateway Health");
    this.line(`${summary.ok ? "OK" : "FAIL"} (${summary.durationMs ?? 0}ms)`);
    healthLines(summary).forEach((line) => this.line(line));
  }
}
