import { Flags } from "@oclif/core";
import { gatherStatusOverview } from "../../service/status-overview.js";
import { connectionFlags } from "../base-command.js";
import { OperatorCommand } from "../operator-command.js";
import { statusLines } from "./status-table.js";
import { MAX_DURATION_MS } from "../../protocol/duration.js";

export default class Status extends OperatorCommand {
  static override summary = "Overview: is the gateway reachable, is the service installed, agents, sessions.";
  static override flags = {
    url: connectionFlags.url,
    port: connectionFlags.port,
    token: connectionFlags.token,
    password: connectionFlags.password,
    json: Flags.boolean({ description: "Print the overview as JSON." }),
    deep: Flags.boolean({ description: "Also refresh health and read the last heartbeat." }),
    all: Flags.boolean({ description: "Allow a slower probe (5 s instead of 2.5 s)." }),
    timeout: Flags.integer({
      description: "Probe timeout cap in milliseconds.",
      default: 10_000,
      min: 1,
      max: MAX_DURATION_MS,
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Status);
    this.applyProfile(flags.profile);
    this.requireUrlCredentials(flags);
    const overview = await gatherStatusOverview({
      env: process.env,
      timeoutMs: flags.timeout,
      all: flags.all,
      deep: flags.deep,
      target: { url: flags.url, port: flags.port, token: flags.token, password: flags.password },
    });
    if (flags.json) {
      this.line(JSON.stringify(overview, null, 2));
      return;
    }
    statusLines(overview, process.env).forEach((line) => this.line(line));
  }
}
