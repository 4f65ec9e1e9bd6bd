import { Flags } from "@oclif/core";
import { gatherGatewayStatus } from "../../../service/gateway-status.js";
import { connectionFlags } from "../../base-command.js";
import { OperatorCommand } from "../../operator-command.js";
import { gatewayStatusLines } from "./status-lines.js";

export default class GatewayStatus extends OperatorCommand {
  static override summary =
    "Show the gateway service, its config, where it listens, its runtime and whether it answers RPC.";
  static override flags = {
    ...connectionFlags,
    probe: Flags.boolean({
      description: "Probe the gateway over RPC (use --no-probe to skip).",
      default: true,
      allowNo: true,
    }),
    deep: Flags.boolean({
      description: "Also scan system-level service dirs for other gateway-like services.",
    }),
    json: Flags.boolean({ description: "Print the status as JSON (no secrets)." }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(GatewayStatus);
    this.applyProfile(flags.profile);
    this.requireUrlCredentials(flags);
    let gathered;
    try {
      gathered = await gatherGatewayStatus({
        env: process.env,
        probe: flags.probe,
        deep: flags.deep,
        timeoutMs: flags.timeout,
        ...(flags.url ? { url: flags.url } : {}),
        ...(flags.port !== undefined ? { port: flags.port } : {}),
        ...(flags.token ? { token: flags.token } : {}),
        ...(flags.password ? { password: flags.password } : {}),
      });
    } catch (error) {
      this.error(`Gateway status failed: ${(error as Error).message}`, { exit: 1 });
    }
    if (flags.json) {
      this.line(JSON.stringify(gathered.status, null, 2));
      return;
    }
    for (const { stream, text } of gatewayStatusLines(gathered.status, gathered.context, process.env)) {
      (stream === "out" ? process.stdout : process.stderr).write(`${text}\n`);
    }
  }
}
