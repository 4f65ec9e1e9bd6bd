import { Flags } from "@oclif/core";
import type { PairingRequest } from "../../../channels/pairing-store.js";
import { cliCommand } from "../../../config/paths.js";
import { formatAge } from "../../format-age.js";
import { channelArg, pairingFlags } from "./pairing-call.js";
import { OperatorCommand } from "../../operator-command.js";

export default class PairingList extends OperatorCommand {
  static override summary = "Pending DM pairing requests of a channel.";
  static override args = { channel: channelArg };
  static override flags = { ...pairingFlags, json: Flags.boolean({ description: "JSON output." }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(PairingList);
    const result = await this.callOnce<{ channel: string; requests: PairingRequest[] }>(
      "pairing.list",
      { channel: args.channel },
      flags,
    );
    if (flags.json) {
      this.line(JSON.stringify(result, null, 2));
      return;
    }
    if (result.requests.length === 0) {
      this.line(`No pending pairing requests for ${args.channel}.`);
      return;
    }
    const now = Date.now();
    for (const request of result.requests) {
      this.line(
        `- ${request.code}  ${request.senderId} (account ${request.accountId}, asked ${formatAge(now - request.createdAt)} ago, expires in ${formatAge(request.expiresAt - now)})`,
      );
    }
    this.line(`Approve with: ${cliCommand(`pairing approve ${args.channel} <code>`)}`);
  }
}
