import { deviceIdArg, devicesFlags, roleFlag } from "./devices-call.js";
import { OperatorCommand } from "../../operator-command.js";

export default class DevicesRevoke extends OperatorCommand {
  static override summary =
    "Revoke a device's token for a role: it is refused from now on and its connections are closed.";
  static override args = { deviceId: deviceIdArg };
  static override flags = { ...devicesFlags, role: roleFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(DevicesRevoke);
    const result = await this.callOnce<{ deviceId: string; role: string }>(
      "device.token.revoke",
      { deviceId: args.deviceId, role: flags.role },
      flags,
    );
    if (flags.json) return this.line(JSON.stringify(result, null, 2));
    this.line(`Revoked the ${result.role} token of device ${result.deviceId}.`);
  }
}
