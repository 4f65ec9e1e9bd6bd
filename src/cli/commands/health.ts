import { Flags } from "@oclif/core";
import { callGateway } from "../../client/one-shot.js";
import { OperatorCommand } from "../operator-command.js";
import { healthLines, type HealthView } from "../render-health.js";
import { rpcFlags } from "../rpc-flags.js";

export const healthFlags = {
  ...rpcFlags(10_000),
  json: Flags.boolean({ description: "Print the HealthSummary as JSON." }),
  verbose: Flags.boolean({
    description: "Refresh the summary now (health {probe:true}).",
    aliases: ["debug"],
  }),
};

export default class Health extends OperatorCommand {
  static override summary =
    "Gateway health: channels, agents, heartbeat, session store (exit 1 if unreachable).";
  static override flags = healthFlags;

  async run(): Promise<void> {
    const { flags } = await this.parse(this.constructor as typeof Health);
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
    if (flags.json) this.line(JSON.stringify(summary, null, 2));
    else this.render(summary);
  }

  protected render(summary: HealthView): void {
    healthLines(summary).forEach((line) => this.line(line));
  }
}
