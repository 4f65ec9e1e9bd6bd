import type { ClientSession } from "../protocol/client-session.js";
import { PRESENCE_DELTA_CAP } from "../protocol/index.js";
import { broadcastAgentEvent } from "../transport/agent-event-fanout.js";
import type { Broadcaster, BroadcastOptions } from "../transport/broadcaster.js";
import type { BroadcastFacts, EventBus } from "./event-bus.js";
import type { InspectTransition } from "../protocol/actor-inspection.js";
import type { Inspection } from "./inspection.js";

export const isOperator = (session: ClientSession) => session.role === "operator";
export const isAdmin = (session: ClientSession) => session.scopes.includes("operator.admin");
/** REFERENCE §5.5: pairing events reach operators with the pairing (or admin) scope; nodes never. */
export const isPairingAdmin = (session: ClientSession) =>
  session.role === "operator" &&
  (session.scopes.includes("operator.pairing") || session.scopes.includes("operator.admin"));
export const isInspectSubscriber = (session: ClientSession) =>
  session.caps.includes("inspect") && session.scopes.includes("operator.admin");

const wantsPresenceDelta = (session: ClientSession) => session.caps.includes(PRESENCE_DELTA_CAP);
const wantsPresenceList = (session: ClientSession) => !session.caps.includes(PRESENCE_DELTA_CAP);

export interface StateVersion {
  presence: number;
  health: number;
}

/** How each bus fact reaches clients: who may see it, and whether a slow client may miss it. */
export function fanOutBusFacts(
  bus: EventBus,
  broadcaster: Broadcaster,
  stateVersion: () => StateVersion,
): void {
  const fanOut = <K extends keyof BroadcastFacts>(event: K, options: () => BroadcastOptions) =>
    bus.on(event, ((payload: unknown) => broadcaster.send(event, payload, options())) as never);
  // The capped list to every client; to those with `caps: ["presence-delta"]`, the delta when there is one.
  bus.on("presence", ({ version: presence, list, delta }) => {
    const version = { ...stateVersion(), presence };
    const sendList = (audience: (session: ClientSession) => boolean) =>
      broadcaster.send("presence", list, { dropIfSlow: true, stateVersion: version, audience });
    if (!delta) return sendList(() => true);
    sendList(wantsPresenceList);
    broadcaster.send("presence", delta, {
      dropIfSlow: true,
      stateVersion: version,
      audience: wantsPresenceDelta,
    });
  });
  fanOut("health", () => ({ stateVersion: stateVersion() }));
  fanOut("heartbeat", () => ({ dropIfSlow: true }));
  fanOut("tick", () => ({ dropIfSlow: true }));
  bus.on("agent", (payload) => broadcastAgentEvent(broadcaster, payload));
  fanOut("inspect", () => ({ dropIfSlow: true, audience: isInspectSubscriber }));
  fanOut("shutdown", () => ({}));
  fanOut("reload", () => ({ audience: isAdmin }));
  fanOut("device.pair.requested", () => ({ audience: isPairingAdmin }));
  fanOut("device.pair.resolved", () => ({ audience: isPairingAdmin }));
  bus.on("chat", (payload, { dropIfSlow }) =>
    broadcaster.send("chat", payload, { dropIfSlow, audience: isOperator, operatorsOnly: true }),
  );
}

/**
 * Actor transitions reach clients that asked for them (`caps: ["inspect"]`, admin), batched per turn;
 * the inspection stream is followed only while someone subscribes to it.
 */
export class InspectFeed {
  private pending: InspectTransition[] = [];
  private subscribers = 0;

  constructor(
    private readonly inspection: Inspection,
    private readonly bus: EventBus,
  ) {}

  joined(session: ClientSession): void {
    if (!isInspectSubscriber(session)) return;
    if (++this.subscribers === 1) this.inspection.follow(this.onTransition);
  }

  left(session: ClientSession): void {
    if (!isInspectSubscriber(session)) return;
    if (--this.subscribers === 0) this.inspection.unfollow(this.onTransition);
  }

  stop(): void {
    this.inspection.unfollow(this.onTransition);
  }

  private readonly onTransition = (change: InspectTransition): void => {
    if (this.pending.push(change) > 1) return;
    setImmediate(() => {
      const transitions = this.pending;
      this.pending = [];
      this.bus.emit("inspect", { transitions });
    });
  };
}
