import { EventEmitter } from "eventemitter3";
import type { PairingResolved } from "../devices/device-pairing.js";
import type { DevicePairingRequest } from "../devices/device-store.js";
import type { AgentEventPayload, ChatEventPayload } from "../protocol/run-event-payloads.js";
import type { InspectTransition } from "../protocol/actor-inspection.js";
import type { PresencePublication } from "../state/presence-publication.js";
import type { ReloadOutcome } from "./reload-controller.js";

/**
 * Facts producers publish (presence, health, runs, ticks, ...) and the gateway fans out to
 * connections. Each key is the gateway event name clients receive.
 */
export interface BroadcastFacts {
  /** Fanned out as the `presence` event, in the shape each client asked for. */
  presence: (publication: PresencePublication) => void;
  health: (payload: Record<string, unknown>) => void;
  heartbeat: (payload: Record<string, unknown>) => void;
  tick: (payload: { ts: number }) => void;
  agent: (payload: AgentEventPayload) => void;
  chat: (payload: ChatEventPayload, delivery: { dropIfSlow: boolean }) => void;
  inspect: (payload: { transitions: InspectTransition[] }) => void;
  shutdown: (payload: { reason: string; restartExpectedMs: number | null }) => void;
  reload: (payload: ReloadOutcome) => void;
  "device.pair.requested": (payload: DevicePairingRequest) => void;
  "device.pair.resolved": (payload: PairingResolved) => void;
}

export class EventBus extends EventEmitter<BroadcastFacts> {}
