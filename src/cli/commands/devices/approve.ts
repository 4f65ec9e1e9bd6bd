import { devicesFlags, requestIdArg } from "./devices-call.js";
import { OperatorCommand } from "../../operator-command.js";

export default class DevicesApprove extends OperatorCommand {
  static override summary =
    "Approve a pending device pairing request: the device gets its device token at its next connect.";
  static override args = { requestId: requestIdArg };
  static override flags = devicesFlags;

  async run(): Promise<void> {
    const { args, flags } = await this.parse(DevicesApprove);
    const result = await this.callOnce<{ deviceId: string; role: string; scopes: string[] }>(
      "device.pair.approve",
      { requestId: args.requestId },
      flags,
    );
    if (flags.json) return this.line(JSON.stringify(result, null, 2));
    this.line(
      `Approved device ${result.deviceId} as ${result.role} [${result.scopes.join(", ") || "no scopes"}].`,
    );
  }
}
