import { Flags } from "@oclif/core";
import { configuredAccountLine, configuredAccounts } from "../../../channels/config-accounts.js";
import { CHANNEL_PLUGINS } from "../../../channels/registry.js";
import { resolveCliTarget } from "../../../client/cli-target.js";
import { callGateway } from "../../../client/one-shot.js";
import { readConfigSnapshot } from "../../../config/load.js";
import { cliCommand } from "../../../config/paths.js";
import type { ChannelsStatus } from "../../../methods/channels.js";
import { OperatorCommand } from "../../operator-command.js";
import { channelStatusLines } from "../../render-channels.js";
import { rpcFlags } from "../../rpc-flags.js";

export default class ChannelsStatusCommand extends OperatorCommand {
  static override summary =
    "Channel accounts as the gateway sees them; falls back to config-only status when it is down.";
  static override flags = {
    ...rpcFlags(10_000),
    probe: Flags.boolean({ description: "Run live checks for each enabled, configured account." }),
    json: Flags.boolean({ description: "JSON output." }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ChannelsStatusCommand);
    this.applyProfile(flags.profile);
    const timeout = this.timeoutMs(flags.timeout);
    this.requireUrlCredentials(flags);
    let status: ChannelsStatus;
    try {
      status = await callGateway<ChannelsStatus>(
        "channels.status",
        { probe: flags.probe, timeoutMs: timeout },
        { ...flags, timeout },
      );
    } catch (error) {
      this.configOnly((error as Error).message, flags);
      return;
    }
    if (flags.json) {
      this.line(JSON.stringify(status, null, 2));
      return;
    }
    this.line("Gateway reachable.");
    channelStatusLines(status).forEach((line) => this.line(line));
    this.line(
      flags.probe
        ? `Tip: \`${cliCommand("health --verbose")}\` refreshes the gateway's whole health summary.`
        : `Tip: add --probe to run live checks (\`${cliCommand("channels status --probe")}\`).`,
    );
  }

  /** The gateway is down: say so, then what the config alone tells (exit 0, as upstream). */
  private configOnly(
    error: string,
    flags: { url?: string; token?: string; password?: string; json: boolean },
  ) {
    const target = resolveCliTarget(flags);
    const config = readConfigSnapshot(target.configPath).config;
    const mode = config.gateway.mode === "remote" ? "remote" : "local";
    const accounts = configuredAccounts(CHANNEL_PLUGINS, config, process.env);
    this.errLine(`Gateway not reachable: ${error}`);
    if (flags.json) {
      const result = {
        gatewayReachable: false,
        error: error.split("\n")[0],
        configPath: target.configPath,
        mode,
        channelOrder: [],
        channelLabels: {},
        channels: {},
        channelAccounts: {},
        accounts,
      };
      this.line(JSON.stringify(result, null, 2));
      return;
    }
    this.line("Gateway not reachable; showing config-only status.");
    this.line(`Config: ${target.configPath}`);
    this.line(`Mode: ${mode}`);
    if (accounts.length === 0) this.line("No channels configured.");
    accounts.forEach((account) => this.line(configuredAccountLine(account)));
  }
}
