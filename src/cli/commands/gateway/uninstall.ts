import { Flags } from "@oclif/core";
import { uninstallService } from "../../../service/install.js";
import { CoderclawCommand } from "../../base-command.js";
import { serviceActionFlags, writeActionReport } from "./service-output.js";

export default class GatewayUninstall extends CoderclawCommand {
  static override summary = "Stop, disable and remove the gateway service.";
  static override flags = {
    ...serviceActionFlags,
    system: Flags.boolean({
      description: "Remove the system unit (/etc/systemd/system) instead of the user unit.",
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(GatewayUninstall);
    this.applyProfile(flags.profile);
    const report = await uninstallService({ env: process.env, ...(flags.system ? { system: true } : {}) });
    const code = writeActionReport(report, flags.json);
    if (code !== 0) this.exit(code);
  }
}
