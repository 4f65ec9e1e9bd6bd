import { Flags } from "@oclif/core";
import { keepOwnRotatedToken } from "../../../client/device-connect.js";
import { deviceIdArg, devicesFlags, roleFlag } from "./devices-call.js";
import { OperatorCommand } from "../../operator-command.js";

export default class DevicesRotate extends OperatorCommand {
  static override summary =
    "Issue a new device token for a role the device is paired for; the old one is refused from now on.";
  static override description =
    "Prints the new token (a secret: hand it to the device, which sends it as auth.deviceToken).";
  static override args = { deviceId: deviceIdArg };
  static override flags = {
    ...devicesFlags,
    role: roleFlag,
    scope: Flags.string({
      description: "A scope of the new token (repeatable; default: as before).",
      multiple: true,
    }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(DevicesRotate);
    const result = await this.callOnce<{
      deviceId: string;
      role: string;
      scopes: string[];
      token: string;
    }>(
      "device.token.rotate",
      { deviceId: args.deviceId, role: flags.role, ...(flags.scope ? { scopes: flags.scope } : {}) },
      flags,
    );
    // Rotating the CLI's own token: keep the new one, or the next connect would present a refused token.
    keepOwnRotatedToken(flags, result);
    if (flags.json) return this.line(JSON.stringify(result, null, 2));
    this.line(`Rotated the ${result.role} token of device ${result.deviceId} [${result.scopes.join(", ")}].`);
    this.line(`New device token: ${result.token}`);
  }
}
