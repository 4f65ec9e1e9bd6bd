import { deviceIdArg, devicesFlags } from "./devices-call.js";
import { OperatorCommand } from "../../operator-command.js";

export default class DevicesRemove extends OperatorCommand {
  static override summary = "Remove a paired device: its tokens stop working at once.";
  static override args = { deviceId: deviceIdArg };
  static override flags = devicesFlags;

  async run(): Promise<void> {
    const { args, flags } = await this.parse(DevicesRemove);
    const result = await this.callOnce<{ deviceId: string }>(
      "device.pair.remove",
      { deviceId: args.deviceId },
      flags,
    );
    if (flags.json) return this.line(JSON.stringify(result, null, 2));
    this.line(`Removed device ${result.deviceId}.`);
  }
}
