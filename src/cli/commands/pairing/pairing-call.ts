import { Args } from "@oclif/core";
import { callGateway } from "../../../client/one-shot.js";
import { OperatorCommand } from "../../operator-command.js";
import { rpcFlags } from "../../rpc-flags.js";

export const channelArg = Args.string({ description: "Channel id (irc, telegram, ...).", required: true });
export const codeArg = Args.string({ description: "The pairing code the sender received.", required: true });
export const pairingFlags = rpcFlags(10_000);

/** The pairing commands: one admin RPC each, its error printed as the gateway words it. */
export abstract class PairingCommand extends OperatorCommand {
  protected async callPairing<T>(
    method: string,
    params: Record<string, unknown>,
    flags: { url?: string; token?: string; password?: string; timeout: string; profile?: string },
  ): Promise<T> {
    this.applyProfile(flags.profile);
    const timeout = this.timeoutMs(flags.timeout);
    this.requireUrlCredentials(flags);
    try {
      return await callGateway<T>(method, params, { ...flags, timeout });
    } catch (error) {
      return this.fail((error as Error).message.split("\n")[0] ?? String(error));
    }
  }
}
