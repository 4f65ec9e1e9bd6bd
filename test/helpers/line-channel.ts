/**
 * A channel plugin for manager tests: each account dials a real TCP server the test runs (`port` in
 * its config section); every line the server writes is an inbound DM (`<sender> <text>`), every
 * outbound chunk a line back. `hangOnStop` makes its stop never finish, like a wedged socket.
 */
import net from "node:net";
import type { ChannelAccount, ChannelConnection, ChannelPlugin } from "../../src/channels/types.js";

export interface LineAccount extends ChannelAccount {
  port: number | null;
  hangOnStop: boolean;
}

export function lineChannel(id = "line"): ChannelPlugin<LineAccount> & { starts: AbortSignal[] } {
  const starts: AbortSignal[] = [];
  const section = (cfg: { channels: Record<string, Record<string, unknown>> }) => cfg.channels[id] ?? {};
  return {
    id,
    starts,
    meta: { label: id.toUpperCase() },
    config: {
      listAccountIds: (cfg) => (cfg.channels[id] ? ["default"] : []),
      defaultAccountId: () => "default",
      resolveAccount: (cfg, accountId) => ({
        accountId,
        enabled: section(cfg).enabled !== false,
        port: typeof section(cfg).port === "number" ? (section(cfg).port as number) : null,
        hangOnStop: section(cfg).hangOnStop === true,
        access: {
          dmPolicy: "open",
          allowFrom: ["*"],
          groupPolicy: "disabled",
          groupAllowFrom: [],
          groups: {},
        },
      }),
      isEnabled: (account) => account.enabled,
      isConfigured: (account) => account.port !== null,
      unconfiguredReason: () => "port missing",
    },
    gateway: {
      start: (ctx) =>
        new Promise<ChannelConnection>((resolve, reject) => {
          starts.push(ctx.abortSignal);
          const socket = net.connect(ctx.account.port as number, "127.0.0.1");
          let resolveClosed!: (value: { error?: string }) => void;
          const closed = new Promise<{ error?: string }>((r) => (resolveClosed = r));
          ctx.abortSignal.addEventListener("abort", () => socket.destroy(), { once: true });
          socket.on("error", (error) => reject(error));
          socket.on("close", () => resolveClosed({ error: "server closed the connection" }));
          let buffer = "";
          socket.on("data", (data) => {
            buffer += data.toString();
            let newline: number;
            while ((newline = buffer.indexOf("\n")) >= 0) {
              const line = buffer.slice(0, newline);
              buffer = buffer.slice(newline + 1);
              const [sender = "", ...words] = line.split(" ");
              ctx.inbound({
                messageId: `${Date.now()}-${Math.random()}`,
                peer: { kind: "direct", id: sender },
                sender: { id: sender },
                text: words.join(" "),
                mentioned: false,
                ts: Date.now(),
              });
            }
          });
          socket.on("connect", () =>
            resolve({
              closed,
              sendText: (to, text) => new Promise((done) => socket.write(`${to} ${text}\n`, () => done())),
              stop: () =>
                ctx.account.hangOnStop
                  ? new Promise(() => {})
                  : new Promise<void>((done) => {
                      socket.end(() => done());
                    }),
            }),
          );
        }),
    },
    status: {},
    outbound: {
      textChunkLimit: 10,
      chunker: (text, limit) => text.match(new RegExp(`.{1,${limit}}`, "g")) ?? [],
    },
    reload: { configPrefixes: [`channels.${id}`] },
  };
}
