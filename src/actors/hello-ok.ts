import os from "node:os";
import type { CoderclawConfig } from "../config/schema.js";
import type { ClientSession } from "../methods/method-spec.js";
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
  presence(): unknown[];
  health(): unknown;
  stateVersion(): { presence: number; health: number };
}

const HOST = os.hostname();

/** REFERENCE §5.6: what a client learns at connect (server, features, snapshot, policy). */
export function buildHelloOk(session: ClientSession, source: HelloOkSource) {
  const config = source.config();
  const defaultAgent = config.agents.list.find((agent) => agent.default) ?? config.agents.list[0];
  const defaultAgentId = defaultAgent?.id ?? "main";
  return {
    type: "hello-ok",
    protocol: PROTOCOL_VERSION,
    server: { version: source.version, host: HOST, connId: session.connId },
    features: { methods: source.methods, events: GATEWAY_EVENTS },
    snapshot: {
      presence: source.presence(),
      health: source.health(),
      stateVersion: source.stateVersion(),
      uptimeMs: Date.now() - source.startedAt,
      configPath: source.configPath,
      stateDir: source.stateDir,
      sessionDefaults: {
        defaultAgentId,
        mainKey: config.session.mainKey,
        mainSessionKey: `agent:${defaultAgentId}:${config.session.mainKey}`,
        scope: config.session.scope,
      },
      authMode: source.authMode,
    },
    policy: {
      maxPayload: config.gateway.maxPayloadBytes,
      maxBufferedBytes: config.gateway.maxBufferedBytes,
      tickIntervalMs: config.gateway.tickIntervalMs,
    },
  };
}
