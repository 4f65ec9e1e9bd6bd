import { Args, Flags } from "@oclif/core";
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
