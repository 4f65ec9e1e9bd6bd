import net from "node:net";
import tls from "node:tls";
import type { ChannelPlugin, ProbeResult } from "../types.js";
import { defaultIrcAccountId, listIrcAccountIds, resolveIrcAccount, type IrcAccount } from "./irc-config.js";
import { openIrcConnection } from "./irc-connection.js";
import { chunkIrcText, privmsgTextBytes } from "./line-chunker.js";

/** Reaches the server's port (no registration): what a probe can tell while the account is not running. */
function probeServer(account: IrcAccount, timeoutMs: number): Promise<ProbeResult> {
  const startedAt = Date.now();
  return new Promise((resolve) => {
    const options = { host: account.host as string, port: account.port };
    const socket = account.tls ? tls.connect({ ...options, servername: options.host }) : net.connect(options);
    const finish = (result: ProbeResult) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => finish({ ok: false, error: `no answer within ${timeoutMs}ms` }));
    socket.once(account.tls ? "secureConnect" : "connect", () =>
      finish({ ok: true, elapsedMs: Date.now() - startedAt, reachable: true }),
    );
    socket.once("error", (error) => finish({ ok: false, error: error.message }));
  });
}

/** An allowlist entry: `nick!user@host` (case-insensitive, `*` wildcards); a bare nick only on opt-in. */
export function ircSenderMatches(
  entry: string,
  sender: { id: string; name?: string },
  account: IrcAccount,
): boolean {
  const pattern = entry.trim().toLowerCase();
  if (!pattern.includes("!") && !pattern.includes("@")) {
    return account.dangerouslyAllowNameMatching && pattern === (sender.name ?? "").toLowerCase();
  }
  const regex = new RegExp(
    `^${pattern
      .split("*")
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  );
  return regex.test(sender.id.toLowerCase());
}

export const ircChannel: ChannelPlugin<IrcAccount> = {
  id: "irc",
  meta: { label: "IRC", detailLabel: "IRC" },
  config: {
    listAccountIds: listIrcAccountIds,
    resolveAccount: resolveIrcAccount,
    defaultAccountId: defaultIrcAccountId,
    isEnabled: (account) => account.enabled,
    isConfigured: (account) => account.problems.length === 0,
    unconfiguredReason: (account) => `not configured: ${account.problems.join("; ")}`,
  },
  gateway: { start: openIrcConnection },
  status: {
    probe: (account, timeoutMs, connection) =>
      connection?.probe ? connection.probe(timeoutMs) : probeServer(account, timeoutMs),
    buildAccountSnapshot: (account) => ({
      host: account.host,
      port: account.port,
      tls: account.tls,
      nick: account.nick,
      channels: account.channels,
    }),
  },
  outbound: {
    textChunkLimit: 350,
    chunker: (text, _limit, to, account) => chunkIrcText(text, privmsgTextBytes(account.nick ?? "", to)),
  },
  reload: { configPrefixes: ["channels.irc"] },
  security: { matchesSender: ircSenderMatches },
};
