import type { DevicePairingRequest, PairedDevice } from "../../../devices/device-store.js";
import { cliCommand } from "../../../config/paths.js";
import { formatAge } from "../../format-age.js";
import { describeClient, devicesFlags } from "./devices-call.js";
import { OperatorCommand } from "../../operator-command.js";

export default class DevicesList extends OperatorCommand {
  static override summary = "Pending device pairing requests and paired devices.";
  static override flags = devicesFlags;

  async run(): Promise<void> {
    const { flags } = await this.parse(DevicesList);
    const result = await this.callOnce<{ pending: DevicePairingRequest[]; paired: PairedDevice[] }>(
      "device.pair.list",
      {},
      flags,
    );
    if (flags.json) {
      this.line(JSON.stringify(result, null, 2));
      return;
    }
    const now = Date.now();
    this.line(result.pending.length === 0 ? "No pending pairing requests." : "Pending requests:");
    for (const request of result.pending) {
      const current = result.paired.find((device) => device.deviceId === request.deviceId);
      this.line(
        `- ${request.requestId}  device ${request.deviceId.slice(0, 12)} (${describeClient(request)}) from ${request.remoteIp}`,
      );
      this.line(
        `    requested: ${request.role} [${request.scopes.join(", ") || "no scopes"}]` +
          (current ? `; approved now: ${current.roles.join(", ")} [${current.scopes.join(", ")}]` : "") +
          `; expires in ${formatAge(request.expiresAtMs - now)}`,
      );
    }
    if (result.pending.length > 0) this.line(`Approve with: ${cliCommand("devices approve <requestId>")}`);
    this.line(result.paired.length === 0 ? "No paired devices." : "Paired devices:");
    for (const device of result.paired) {
      this.line(`- ${device.deviceId}  (${describeClient(device)})`);
      for (const token of device.tokens) {
        const state =
          token.revokedAtMs !== null
            ? "revoked"
            : token.awaitingDevice
              ? "approved, waiting for the device to connect"
              : `issued ${formatAge(now - (token.issuedAtMs ?? now))} ago`;
        this.line(`    ${token.role} [${token.scopes.join(", ")}]: ${state}`);
      }
    }
  }
}
