import type { Client, PrivmsgEvent } from "irc-framework";
import type { ChannelConnection, ChannelStartContext, ProbeResult } from "../types.js";
import type { IrcAccount } from "./irc-config.js";
import { SendPacer } from "./send-pacer.js";

/** How long registration (connect, NICK/USER, welcome) may take before the attempt fails. */
const REGISTER_TIMEOUT_MS = 30_000;
/** A server silent this long (no reply to our PINGs) is gone: the socket is dropped and replaced. */
const PING_INTERVAL_S = 30;
const PING_TIMEOUT_S = 90;

let messageCounter = 0;

/** `nick: text`, `nick, text` or the nick anywhere as a word: the message addresses us. */
export function mentionOf(text: string, nick: string): { mentioned: boolean; text: string } {
  const escaped = nick.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const leading = new RegExp(`^\\s*@?${escaped}[:,]?\\s+`, "i").exec(text);
  if (leading) return { mentioned: true, text: text.slice(leading[0].length) };
  return { mentioned: new RegExp(`(^|[^\\w])@?${escaped}($|[^\\w])`, "i").test(text), text };
}

/**
 * One IRC session of an account: connect and register (with the server password and NickServ when
 * configured), join the configured channels, hand PRIVMSGs to the gateway, and send paced lines. It
 * never reconnects by itself: when the socket ends, `closed` settles and the manager starts a fresh one.
 */
export async function openIrcConnection(ctx: ChannelStartContext<IrcAccount>): Promise<ChannelConnection> {
  // Loaded on first use: CLI commands that only read channel config never pay for the IRC library.
  const IRC = (await import("irc-framework")).default;
  return connect(ctx, new IRC.Client());
}

function connect(ctx: ChannelStartContext<IrcAccount>, client: Client): Promise<ChannelConnection> {
  const { account, abortSignal, log } = ctx;
  const pacer = new SendPacer();
  const pongWaiters = new Map<string, () => void>();
  let resolveClosed!: (value: { error?: string }) => void;
  const closed = new Promise<{ error?: string }>((resolve) => (resolveClosed = resolve));
  let registered = false;
  let lastSocketError: string | undefined;

  return new Promise<ChannelConnection>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error("IRC registration timed out")), REGISTER_TIMEOUT_MS);
    const fail = (error: Error) => {
      clearTimeout(timer);
      client.connection.end();
      reject(error);
    };
    const onAbort = () => {
      pacer.close(new Error("IRC connection stopped"));
      client.connection.end();
      if (!registered) fail(new Error("IRC start abandoned"));
    };
    abortSignal.addEventListener("abort", onAbort, { once: true });

    client.on("socket error", (error: Error) => {
      lastSocketError = error.message;
    });
    client.on("close", () => {
      clearTimeout(timer);
      abortSignal.removeEventListener("abort", onAbort);
      const error = lastSocketError ?? "connection closed by the server";
      pacer.close(new Error(`IRC connection closed: ${error}`));
      ctx.setStatus({ connected: false, lastDisconnect: error });
      if (!registered)
        reject(new Error(`IRC connection to ${account.host}:${account.port} failed: ${error}`));
      resolveClosed({ error });
    });
    client.on("nick in use", () => {
      if (!registered) client.changeNick(`${account.nick}_${Math.floor(Math.random() * 1000)}`);
    });
    client.on("pong", (event: { message?: string }) => {
      const waiter = event.message ? pongWaiters.get(event.message) : undefined;
      waiter?.();
    });
    client.on("registered", () => {
      registered = true;
      clearTimeout(timer);
      const { nickserv } = account;
      if (nickserv.enabled && nickserv.password) {
        client.say(nickserv.service, `IDENTIFY ${nickserv.password}`);
      } else if (nickserv.register && nickserv.password && nickserv.registerEmail) {
        client.say(nickserv.service, `REGISTER ${nickserv.password} ${nickserv.registerEmail}`);
      }
      for (const channel of account.channels) client.join(channel);
      ctx.setStatus({ connected: true, self: client.user.nick, lastConnectedAt: Date.now() });
      log.info(
        `[irc:${account.accountId}] registered as ${client.user.nick} on ${account.host}:${account.port}`,
      );
      resolve(connection);
    });
    client.on("privmsg", (event: PrivmsgEvent) => {
      if (client.caseCompare(event.nick, client.user.nick)) return;
      const direct = client.caseCompare(event.target, client.user.nick);
      const mention = direct
        ? { mentioned: true, text: event.message }
        : mentionOf(event.message, client.user.nick);
      const now = Date.now();
      ctx.setStatus({ lastEventAt: now });
      messageCounter += 1;
      ctx.inbound({
        messageId: `${now}-${messageCounter}`,
        peer: direct ? { kind: "direct", id: event.nick } : { kind: "group", id: event.target },
        sender: { id: `${event.nick}!${event.ident}@${event.hostname}`, name: event.nick },
        text: mention.text,
        mentioned: mention.mentioned,
        ts: now,
      });
    });

    const connection: ChannelConnection = {
      closed,
      sendText: (to, text) => pacer.send(() => client.say(to, text)),
      stop: async () => {
        pacer.close(new Error("IRC connection stopped"));
        if (client.connection.connected) client.quit("CoderClaw gateway stopping");
        else client.connection.end();
        await closed;
      },
      probe: (timeoutMs) =>
        new Promise<ProbeResult>((done) => {
          const token = `probe-${Date.now()}`;
          const startedAt = Date.now();
          const deadline = setTimeout(() => {
            pongWaiters.delete(token);
            done({ ok: false, error: `no PONG within ${timeoutMs}ms` });
          }, timeoutMs);
          pongWaiters.set(token, () => {
            clearTimeout(deadline);
            pongWaiters.delete(token);
            done({ ok: true, elapsedMs: Date.now() - startedAt, nick: client.user.nick });
          });
          client.ping(token);
        }),
    };

    client.connect({
      host: account.host as string,
      port: account.port,
      tls: account.tls,
      nick: account.nick as string,
      username: account.username,
      gecos: account.realname,
      ...(account.password ? { password: account.password } : {}),
      auto_reconnect: false,
      ping_interval: PING_INTERVAL_S,
      ping_timeout: PING_TIMEOUT_S,
      // Replies arrive already split to IRC's limit (line-chunker.ts).
      message_max_length: 510,
      version: "CoderClaw",
    });
    ctx.setStatus({ mode: account.tls ? "tls" : "plain" });
  });
}
