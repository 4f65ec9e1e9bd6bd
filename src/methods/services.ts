import type { ConfigSnapshot } from "../config/load.js";
import type { Inspection } from "../actors/inspection.js";
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
  listen: { host: string; port: number; aliases: string[]; bind: string };
  config(): ConfigSnapshot;
  lifecycleState(): string;
  connectionCount(): number;
  presence: PresenceTable;
  health: HealthCache;
  heartbeat: HeartbeatState;
  inspection: Inspection;
  /** Publishes a presence change to every client (coalesced). */
  presenceChanged(): void;
}
