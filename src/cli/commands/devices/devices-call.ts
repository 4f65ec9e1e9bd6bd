import { Args, Flags } from "@oclif/core";
import { clip } from "../../../log/log-text.js";
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

/** A string a device chose, fit for the terminal: control characters (escapes) defused, length bounded. */
export const shown = (text: string): string => clip(text, 128);

/** `Pixel of Ana, coderclaw-android, Android 14`: what a device says it is, as far as it says. */
export function describeClient(device: {
  clientId: string;
  platform: string | null;
  displayName: string | null;
}) {
  return [device.displayName, device.clientId, device.platform]
    .filter((part): part is string => Boolean(part))
    .map(shown)
    .join(", ");
}
