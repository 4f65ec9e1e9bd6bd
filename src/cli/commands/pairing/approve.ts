import { channelArg, codeArg, pairingFlags } from "./pairing-call.js";
import { OperatorCommand } from "../../operator-command.js";

export default class PairingApprove extends OperatorCommand {
  static override summary = "Approve a pending pairing code: its sender may DM the assistant from now on.";
  static override args = { channel: channelArg, code: codeArg };
  static override flags = pairingFlags;

  async run(): Promise<void> {
    const { args, flags } = await this.parse(PairingApprove);
    const result = await this.callOnce<{ id: string; accountId: string }>(
      "pairing.approve",
      { channel: args.channel, code: args.code },
      flags,
    );
    this.line(`Approved ${args.channel} sender ${result.id} (account ${result.accountId}).`);
  }
}
