import { channelArg, codeArg, pairingFlags } from "./pairing-call.js";
import { OperatorCommand } from "../../operator-command.js";

export default class PairingReject extends OperatorCommand {
  static override summary = "Reject a pending pairing code.";
  static override args = { channel: channelArg, code: codeArg };
  static override flags = pairingFlags;

  async run(): Promise<void> {
    const { args, flags } = await this.parse(PairingReject);
    const result = await this.callOnce<{ id: string }>(
      "pairing.reject",
      { channel: args.channel, code: args.code },
      flags,
    );
    this.line(`Rejected ${args.channel} sender ${result.id}.`);
  }
}
