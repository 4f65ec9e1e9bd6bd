import { Flags } from "@oclif/core";
import { configuredAccountLine, configuredAccounts } from "../../../channels/config-accounts.js";
import { CHANNEL_PLUGINS } from "../../../channels/registry.js";
import { readConfigSnapshot } from "../../../config/load.js";
import { cliCommand } from "../../../config/paths.js";
import { resolveCliTarget } from "../../../client/cli-target.js";
import { CoderclawCommand } from "../../base-command.js";

export default class ChannelsList extends CoderclawCommand {
  static override summary =
    "Channel accounts in the config: enabled, configured, DM policy (no gateway needed).";
  static override flags = {
    json: Flags.boolean({ description: "JSON output." }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ChannelsList);
    this.applyProfile(flags.profile);
    const { configPath } = resolveCliTarget({});
    const config = readConfigSnapshot(configPath).config;
    const accounts = configuredAccounts(CHANNEL_PLUGINS, config, process.env);
    if (flags.json) {
      this.line(
        JSON.stringify(
          { configPath, channels: CHANNEL_PLUGINS.map((plugin) => plugin.id), accounts },
          null,
          2,
        ),
      );
      return;
    }
    if (accounts.length === 0) {
      this.line("No channels configured.");
      this.line(`Available: ${CHANNEL_PLUGINS.map((plugin) => plugin.id).join(", ") || "none"}.`);
      return;
    }
    accounts.forEach((account) => this.line(configuredAccountLine(account)));
    this.line(`Tip: \`${cliCommand("channels status --probe")}\` shows what the running gateway sees.`);
  }
}
