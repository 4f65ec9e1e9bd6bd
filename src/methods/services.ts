import type { AgentRuns } from "../agents/agent-runs.js";
import type { ChannelManager } from "../channels/channel-manager.js";
import type { ActorTreeNode } from "../protocol/actor-inspection.js";
import type { ChatEventPayload } from "../protocol/run-event-payloads.js";
import type { ConfigSnapshot } from "../config/load.js";
import type { DevicePairing } from "../devices/device-pairing.js";
import type { StateStore } from "../store/state-store.js";
import type { StoreHealth } from "../store/store-health.js";
import type { HealthCache } from "../state/health.js";
import type { HeartbeatState } from "../state/heartbeat.js";
import type { PresenceTable } from "../state/presence.js";
import type { EffectiveAuthMode } from "../transport/auth.js";

/** What method handlers may use of the running gateway; nothing here touches a socket. */
export interface GatewayServices {
  version: string;
  startedAt: number;
  configPath: string;
  stateDir: string;
  logFile: string;
  authMode: EffectiveAuthMode;
  listen: {
    host: string;
    port: number;
    aliases: string[];
    bind: string;
    /** The certificate clients pin (`gateway.remote.tlsFingerprint`); null when plain ws/http. */
    tlsFingerprint: string | null;
  };
  config(): ConfigSnapshot;
  lifecycleState(): string;
  connectionCount(): number;
  presence: PresenceTable;
  health: HealthCache;
  heartbeat: HeartbeatState;
  /** The live actor tree, as the inspection stream keeps it. */
  inspection: { tree(): ActorTreeNode[]; count(): number };
  /** Publishes a presence change to every client (coalesced). */
  presenceChanged(): void;
  /** Agent runs and the durable store; null (with `storeError`) when state.db cannot be used. */
  runs: AgentRuns | null;
  /** Broadcasts a `chat` event (the user-message echo of chat.send). */
  publishChat(payload: ChatEventPayload): void;
  store: StateStore | null;
  storeError: string | null;
  /** Whether state.db is usable and writable now (health, readiness). */
  storeHealth: StoreHealth;
  /** Paired devices, pairing requests and device tokens (null until the store is open, or without it). */
  devices: DevicePairing | null;
  /** Channel accounts (null until the store is open, or with CODERCLAW_SKIP_CHANNELS). */
  channels: ChannelManager | null;
  /** Restart through the supervisor (drain, shutdown event, fresh gateway). */
  requestRestart(reason: string): void;
  /** Re-read the config file now (same controller as the file watcher). */
  requestReload(): void;
}
