import { Flags } from "@oclif/core";
import { installService } from "../../../service/install.js";
import { CoderclawCommand } from "../../base-command.js";
import { readinessFlags, serviceActionFlags, ttyProgress, writeActionReport } from "./service-output.js";

export default class GatewayInstall extends CoderclawCommand {
  static override summary =
    "Install the gateway as a systemd user service (Linux) or LaunchAgent (macOS) and start it.";
  static override flags = {
    ...serviceActionFlags,
    ...readinessFlags,
    force: Flags.boolean({ description: "Rewrite the unit even if the service is already installed." }),
    port: Flags.string({ description: "Port the service listens on (default: env, config, 18789)." }),
    token: Flags.string({ description: "Token pinned in the service environment (default: the config's)." }),
    system: Flags.boolean({
      description: "Install a system unit in /etc/systemd/system that runs as your user (needs root).",
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(GatewayInstall);
    this.applyProfile(flags.profile);
    const progress = ttyProgress(flags.json);
    const report = await installService({
      env: process.env,
      force: flags.force,
      system: flags.system,
      timeoutMs: flags.timeout,
      ...(flags.port !== undefined ? { port: flags.port } : {}),
      ...(flags.token !== undefined ? { token: flags.token } : {}),
      ...(progress ? { onProgress: progress } : {}),
    });
    const code = writeActionReport(report, flags.json);
    if (code !== 0) this.exit(code);
  }
}
