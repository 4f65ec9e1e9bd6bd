import { devicesFlags, requestIdArg } from "./devices-call.js";
import { OperatorCommand } from "../../operator-command.js";

export default class DevicesReject extends OperatorCommand {
  static override summary = "Reject a pending device pairing request.";
  static override args = { requestId: requestIdArg };
  static override flags = devicesFlags;

  async run(): Promise<void> {
    const { args, flags } = await this.parse(DevicesReject);
    const result = await this.callOnce<{ deviceId: string }>(
      "device.pair.reject",
      { requestId: args.requestId },
      flags,
    );
    if (flags.json) return this.line(JSON.stringify(result, null, 2));
    this.line(`Rejected the pairing request of device ${result.deviceId}.`);
  }
}
