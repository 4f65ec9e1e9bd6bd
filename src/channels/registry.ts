import { ircChannel } from "./irc/index.js";
import { telegramChannel } from "./telegram/index.js";
import type { AnyChannelPlugin } from "./types.js";

/** Every channel the gateway can run, in status order. Adding a channel is one line here. */
export const CHANNEL_PLUGINS: readonly AnyChannelPlugin[] = [telegramChannel, ircChannel];

export function channelPlugin(id: string): AnyChannelPlugin | undefined {
  return CHANNEL_PLUGINS.find((plugin) => plugin.id === id);
}
