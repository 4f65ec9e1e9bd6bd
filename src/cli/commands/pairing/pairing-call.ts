import { Args } from "@oclif/core";
import { rpcFlags } from "../../rpc-flags.js";

export const channelArg = Args.string({ description: "Channel id (irc, telegram, ...).", required: true });
export const codeArg = Args.string({ description: "The pairing code the sender received.", required: true });
export const pairingFlags = rpcFlags(10_000);
