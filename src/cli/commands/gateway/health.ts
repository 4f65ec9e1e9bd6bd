import type { HealthView } from "../../render-health.js";
import Health from "../health.js";

export default class GatewayHealth extends Health {
  static override summary = "Call the gateway's health method: `OK (<ms>)` then the health lines.";

  protected override render(summary: HealthView): void {
    this.line("Gateway Health");
    this.line(`${summary.ok ? "OK" : "FAIL"} (${summary.durationMs ?? 0}ms)`);
    super.render(summary);
  }
}
