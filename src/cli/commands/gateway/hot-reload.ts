import { Flags } from "@oclif/core";
import { callGateway } from "../../../client/one-shot.js";
import { CoderclawCommand, connectionFlags } from "../../base-command.js";

export default class GatewayHotReload extends CoderclawCommand {
  static override summary = "Ask the running gateway to re-read its config file now.";
  static override flags = { ...connectionFlags, json: Flags.boolean({ description: "JSON output." }) };

  async run(): Promise<void> {
    const { flags } = await this.parse(GatewayHotReload);
    this.applyProfile(flags.profile);
    try {
      const result = await callGateway("config.reload", {}, flags);
      this.line(flags.json ? JSON.stringify(result) : "Config hot-reload triggered");
    } catch (error) {
      this.error(`Gateway call failed: ${(error as Error).message}`, { exit: 1 });
    }
  }
}
