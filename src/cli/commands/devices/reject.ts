import { DevicesCommand, devicesFlags, requestIdArg } from "./devices-call.js";

export default class DevicesReject extends DevicesCommand {
  static override summary = "Reject a pending device pairing request.";
  static override args = { requestId: requestIdArg };
  static override flags = devicesFlags;

  async run(): Promise<void> {
    const { args, flags } = await this.parse(DevicesReject);
    const result = await this.callDevices<{ deviceId: string }>(
      "device.pair.reject",
      { requestId: args.requestId },
      flags,
    );
    if (flags.json) return this.line(JSON.stringify(result, null, 2));
    this.line(`Rejected the pairing request of device ${result.deviceId}.`);
  }
}
