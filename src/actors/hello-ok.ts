import os from "node:os";
import type { CoderclawConfig } from "../config/schema.js";
import { defaultAgentId } from "../agents/agent-directory.js";
import type { ClientSession, DeviceTokenGrant } from "../protocol/client-session.js";
import { GATEWAY_EVENTS, PROTOCOL_VERSION } from "../protocol/index.js";
import type { EffectiveAuthMode } from "../transport/auth.js";

export interface HelloOkSource {
  version: string;
  startedAt: number;
  configPath: string;
  stateDir: string;
  authMode: EffectiveAuthMode;
  config(): CoderclawConfig;
  methods: readonly string[];
  /** The presence clients were last sent (the newest entries), how many entries there are, and its version. */
  presence(): { version: number; entries: readonly unknown[]; total: number };
  health(): { version: number; summary: unknown };
}

const HOST = os.hostname();

interface SharedPart {
  presenceVersion: number;
  healthVersion: number;
  config: CoderclawConfig;
  bytes: Buffer;
}

/**
 * REFERENCE §5.6: what a client learns at connect (server, features, snapshot, policy).
 *
 * Only the request id, `server.connId` and `snapshot.uptimeMs` differ between clients. The rest
 * (presence is capped at the newest 50 entries) is serialized once per presence, health or config change and the
 * same bytes are sent to every client, so a join storm does not build a copy per connection.
 */
export class HelloOk {
  private shared: SharedPart | null = null;

  constructor(private readonly source: HelloOkSource) {}

  /** The hello-ok response frame in two parts that together are one JSON text: a small head, then the shared rest. */
  frame(
    requestId: string,
    session: ClientSession,
    deviceAuth?: DeviceTokenGrant,
  ): [head: Buffer, rest: Buffer] {
    const { source } = this;
    const server = { version: source.version, host: HOST, connId: session.connId };
    // `auth` only for a device that was just issued a token (REFERENCE §5.6).
    const auth = deviceAuth ? `"auth":${JSON.stringify(deviceAuth)},` : "";
    const head =
      `{"type":"res","id":${JSON.stringify(requestId)},"ok":true,"payload":{"type":"hello-ok",` +
      `"protocol":${PROTOCOL_VERSION},"server":${JSON.stringify(server)},${auth}` +
      `"snapshot":{"uptimeMs":${Date.now() - source.startedAt},`;
    return [Buffer.from(head), this.sharedPart()];
  }

  private sharedPart(): Buffer {
    const presence = this.source.presence();
    const health = this.source.health();
    const config = this.source.config();
    const cached = this.shared;
    if (
      cached &&
      cached.presenceVersion === presence.version &&
      cached.healthVersion === health.version &&
      cached.config === config
    ) {
      return cached.bytes;
    }
    const snapshotRest = {
      presence: presence.entries,
      presenceTotal: presence.total,
      health: health.summary,
      stateVersion: { presence: presence.version, health: health.version },
      configPath: this.source.configPath,
      stateDir: this.source.stateDir,
      sessionDefaults: sessionDefaults(config),
      authMode: this.source.authMode,
    };
    const rest = {
      features: { methods: this.source.methods, events: GATEWAY_EVENTS },
      policy: {
        maxPayload: config.gateway.maxPayloadBytes,
        maxBufferedBytes: config.gateway.maxBufferedBytes,
        tickIntervalMs: config.gateway.tickIntervalMs,
      },
    };
    // `{"presence":…}` without its opening brace continues the snapshot object the head opened.
    const text = `${JSON.stringify(snapshotRest).slice(1)},${JSON.stringify(rest).slice(1)}}`;
    const bytes = Buffer.from(text);
    this.shared = {
      presenceVersion: presence.version,
      healthVersion: health.version,
      config,
      bytes,
    };
    return bytes;
  }
}

function sessionDefaults(config: CoderclawConfig) {
  const defaultId = defaultAgentId(config);
  return {
    defaultAgentId: defaultId,
    mainKey: config.session.mainKey,
    mainSessionKey: `agent:${defaultId}:${config.session.mainKey}`,
    scope: config.session.scope,
  };
}
