import { startService } from "../../../service/lifecycle.js";
import { CoderclawCommand } from "../../base-command.js";
import { readinessFlags, serviceActionFlags, ttyProgress, writeActionReport } from "./service-output.js";

export default class GatewayStart extends CoderclawCommand {
  static override summary =
    "Start the installed gateway service and wait until it reports ready (or say why not).";
  static override flags = { ...serviceActionFlags, ...readinessFlags };

  async run(): Promise<void> {
    const { flags } = await this.parse(GatewayStart);
    this.applyProfile(flags.profile);
    const progress = ttyProgress(flags.json);
    const report = await startService("start", {
      env: process.env,
      timeoutMs: flags.timeout,
      ...(progress ? { onProgress: progress } : {}),
    });
    const code = writeActionReport(report, flags.json);
    if (code !== 0) this.exit(code);
  }
}
