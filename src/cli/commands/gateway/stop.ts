import { stopService } from "../../../service/lifecycle.js";
import { CoderclawCommand } from "../../base-command.js";
import { serviceActionFlags, writeActionReport } from "./service-output.js";

export default class GatewayStop extends CoderclawCommand {
  static override summary = "Stop the installed gateway service.";
  static override flags = { ...serviceActionFlags };

  async run(): Promise<void> {
    const { flags } = await this.parse(GatewayStop);
    this.applyProfile(flags.profile);
    const code = writeActionReport(await stopService({ env: process.env }), flags.json);
    if (code !== 0) this.exit(code);
  }
}
