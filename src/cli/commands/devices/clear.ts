import { Flags } from "@oclif/core";
import { cliCommand } from "../../../config/paths.js";
import { devicesFlags } from "./devices-call.js";
import { OperatorCommand } from "../../operator-command.js";

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

export default class DevicesClear extends OperatorCommand {
  static override summary =
    "Remove every paired device (with --pending, also reject every pending request). Needs --yes.";
  static override description =
    "Removed devices' tokens stop working at once and their connections are closed. A command that holds " +
    "the gateway's secret (this CLI, usually) is paired again at its next connect; devices without the " +
    "secret must ask for pairing again.";
  static override flags = {
    ...devicesFlags,
    yes: Flags.boolean({ description: "Confirm the removal (without it nothing is changed)." }),
    pending: Flags.boolean({ description: "Also reject every pending pairing request." }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(DevicesClear);
    if (!flags.yes) {
      this.fail([
        `Refusing to clear without --yes: this removes every paired device${flags.pending ? " and rejects every pending request" : ""}. Nothing was changed.`,
        `Review with ${cliCommand("devices list")}, then run ${cliCommand(`devices clear --yes${flags.pending ? " --pending" : ""}`)}`,
      ]);
    }
    const result = await this.callOnce<{ removedDevices: string[]; rejectedPending: string[] }>(
      "device.pair.clear",
      { pending: flags.pending },
      flags,
    );
    if (flags.json) return this.line(JSON.stringify(result, null, 2));
    const removed = result.removedDevices;
    this.line(
      removed.length === 0
        ? "No paired devices to remove."
        : `Removed ${plural(removed.length, "paired device", "paired devices")}:`,
    );
    removed.forEach((deviceId) => this.line(`- ${deviceId}`));
    if (!flags.pending) return;
    const rejected = result.rejectedPending;
    this.line(
      rejected.length === 0
        ? "No pending requests to reject."
        : `Rejected ${plural(rejected.length, "pending request", "pending requests")}:`,
    );
    rejected.forEach((requestId) => this.line(`- ${requestId}`));
  }
}
