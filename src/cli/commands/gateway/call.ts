import { Args, Flags } from "@oclif/core";
import { callGateway } from "../../../client/one-shot.js";
import { OperatorCommand } from "../../operator-command.js";
import { rpcFlags } from "../../rpc-flags.js";

export default class GatewayCall extends OperatorCommand {
  static override summary = "Call any gateway RPC method and print its answer.";
  static override args = {
    method: Args.string({ description: "Method name, e.g. health or agent.", required: true }),
  };
  static override flags = {
    ...rpcFlags(10_000),
    params: Flags.string({ description: "Params as a JSON value.", default: "{}" }),
    "expect-final": Flags.boolean({
      description: "Wait for the final answer of a two-stage method (agent), not the `accepted` ack.",
    }),
    json: Flags.boolean({ description: "Print only the JSON answer." }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(GatewayCall);
    this.applyProfile(flags.profile);
    const timeout = this.timeoutMs(flags.timeout);
    this.requireUrlCredentials(flags);
    let params: unknown;
    try {
      params = JSON.parse(flags.params);
    } catch (error) {
      this.fail(`Gateway call failed: --params must be valid JSON (${(error as Error).message})`);
    }
    let result: unknown;
    try {
      result = await callGateway(args.method, params, {
        ...flags,
        timeout,
        expectFinal: flags["expect-final"],
      });
    } catch (error) {
      this.fail(`Gateway call failed: ${(error as Error).message}`);
    }
    if (!flags.json) this.line(`Gateway call: ${args.method}`);
    this.line(JSON.stringify(result ?? null, null, 2));
  }
}
