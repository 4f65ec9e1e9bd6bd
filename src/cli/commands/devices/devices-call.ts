import { Args, Flags } from "@oclif/core";
import { callGateway } from "../../../client/one-shot.js";
import { OperatorCommand } from "../../operator-command.js";
import { rpcFlags } from "../../rpc-flags.js";

export const requestIdArg = Args.string({
  description: "The pairing request id (from `devices list`).",
  required: true,
});
export const deviceIdArg = Args.string({
  description: "The device id (from `devices list`).",
  required: true,
});
export const devicesFlags = { ...rpcFlags(10_000), json: Flags.boolean({ description: "JSON output." }) };
export const roleFlag = Flags.string({ description: "The role of the token.", default: "operator" });

/** The device commands: one pairing-scope RPC each, its error printed as the gateway words it. */
export abstract class DevicesCommand extends OperatorCommand {
  protected async callDevices<T>(
    method: string,
    params: Record<string, unknown>,
    flags: { url?: string; token?: string; password?: string; timeout: string; profile?: string },
  ): Promise<T> {
    this.applyProfile(flags.profile);
    const timeout = this.timeoutMs(flags.timeout);
    this.requireUrlCredentials(flags);
    try {
      return await callGateway<T>(method, params, { ...flags, timeout });
    } catch (error) {
      const lines = (error as Error).message.split("\n");
      const end = lines.findIndex((line) => line.startsWith("Gateway target:"));
      return this.fail(end > 0 ? lines.slice(0, end) : lines);
    }
  }
}
