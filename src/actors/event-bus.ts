import { EventEmitter } from "eventemitter3";

/**
 * Facts that producers publish and the gateway fans out to connections. Each key is a gateway
 * event name; the payload is what clients receive.
 */
export interface BroadcastFacts {
  presence: { presence: unknown[] };
  health: Record<string, unknown>;
  heartbeat: Record<string, unknown>;
  tick: { ts: number };
  inspect: unknown;
}

export class EventBus extends EventEmitter<{
  [K in keyof BroadcastFacts]: (payload: BroadcastFacts[K]) => void;
}> {}
