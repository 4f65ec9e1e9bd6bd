import os from "node:os";
import { Type } from "@sinclair/typebox";
import { defineMethod } from "./method-spec.js";

export const statusMethod = defineMethod({
  name: "status",
  scope: "read",
  summary: "Gateway status: lifecycle state, listener, paths, connections.",
  params: Type.Object({}, { additionalProperties: true }),
  handler: (_params, { gateway }) => ({
    gateway: {
      state: gateway.lifecycleState(),
      version: gateway.version,
      pid: process.pid,
      host: os.hostname(),
      platform: process.platform,
      node: process.version,
      uptimeMs: Date.now() - gateway.startedAt,
      bind: gateway.listen.bind,
      listen: [gateway.listen.host, ...gateway.listen.aliases],
      port: gateway.listen.port,
      tls: { enabled: gateway.listen.tlsFingerprint !== null, fingerprint: gateway.listen.tlsFingerprint },
      authMode: gateway.authMode,
      configPath: gateway.configPath,
      stateDir: gateway.stateDir,
      logFile: gateway.logFile,
    },
    connections: { count: gateway.connectionCount() },
    presence: { count: gateway.presence.size, version: gateway.presence.version },
    heartbeat: gateway.heartbeat.summary(),
    actors: { count: gateway.inspection.count() },
  }),
});
