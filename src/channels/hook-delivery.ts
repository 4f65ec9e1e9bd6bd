import type { StateStore } from "../store/state-store.js";
import type { ChannelManager } from "./channel-manager.js";

/** Where a hook run's reply goes: `channel` is `last` (the session's last channel target) or a channel id. */
export interface HookDeliveryTarget {
  channel: string;
  to?: string;
  sessionKey: string;
}

/** Sends text to a channel; channels provide it. Rejects when the target cannot be reached. */
export type HookDeliver = (target: HookDeliveryTarget, text: string) => Promise<void>;

/**
 * How a webhook's reply reaches a channel: `channel: "last"` is the session's last channel chat (and
 * `to` may name another chat on that account); a channel id sends through its default account to `to`.
 */
export function hookDelivery(channels: ChannelManager, store: StateStore): HookDeliver {
  return async (target, text) => {
    if (target.channel === "last") {
      const route = store.lastRoute(target.sessionKey);
      if (!route) throw new Error(`session ${target.sessionKey} has no last channel chat`);
      await channels.deliver(
        { channel: route.channel, accountId: route.accountId, to: target.to ?? route.peer },
        text,
      );
      return;
    }
    if (!target.to) throw new Error(`delivery via ${target.channel} needs "to" (the chat to send to)`);
    const { accountId } = channels.account(target.channel);
    await channels.deliver({ channel: target.channel, accountId, to: target.to }, text);
  };
}
